-- Argo CD health of a slipway.dev Release: the body of
-- resource.customizations.health.slipway.dev_Release in argocd-cm (see the
-- README). It reads what the controller writes: status.observedGeneration,
-- status.phase (Progressing, Paused, Healthy, Degraded) and the kstatus
-- conditions (Ready, Stalled), so Argo CD and kstatus (Flux) agree.
--   Healthy      the current revision is rolled out and Ready
--   Progressing  a rollout is under way, or the spec is not observed yet
--   Suspended    paused: spec.paused, a canary pause step, a gate waiting
--   Degraded     Stalled (invalid spec, progress deadline, a strategy or
--                step it cannot run, a failed analysis) or aborted
local hs = {}

local function condition(type)
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == type then
        return c
      end
    end
  end
  return nil
end

if obj.status == nil or obj.status.observedGeneration == nil or
    (obj.metadata.generation ~= nil and obj.status.observedGeneration < obj.metadata.generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to observe the Release's latest spec"
  return hs
end

local message = obj.status.message
local stalled = condition("Stalled")
local ready = condition("Ready")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.reason .. ": " .. (stalled.message or "")
  return hs
end
if obj.status.phase == "Degraded" then
  hs.status = "Degraded"
  hs.message = message or (ready ~= nil and ready.reason) or "Degraded"
  return hs
end
if obj.status.phase == "Paused" then
  hs.status = "Suspended"
  hs.message = message or "Paused"
  return hs
end
if obj.status.phase == "Healthy" and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message or "Healthy"
  return hs
end
hs.status = "Progressing"
hs.message = message or "Rolling out"
return hs
