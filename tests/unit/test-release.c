#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/release.h"

/* The smallest valid Release; rows below change one thing at a time. */
static const char base_release[] =
    "{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"Release\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"uid\":\"u-1\",\"generation\":3},"
    "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}";

/* A change: set the member at a dotted path (numeric segments index arrays)
 * to a JSON value, or delete it when value is NULL. */
struct patch {
	const char *path;
	const char *value;
};

#define DEL NULL

/* Canary strategies to patch steps into (p[1] sets spec.strategy.canary.steps). */
#define CANARY_GW                                                                                  \
	"{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-canary\","                 \
	"\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":[{\"name\":\"web\"}]}}}}"
#define CANARY_NGINX                                                                               \
	"{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-canary\","                 \
	"\"trafficRouting\":{\"nginx\":{\"stableIngress\":\"web\"}}}}"
#define STEPS "spec.strategy.canary.steps"
#define S0    "spec.strategy.canary.steps[0]."

static const struct {
	const char *why;
	struct patch p[4];
	const char *errors; /* NULL = valid; else every message, joined with "; " */
} rows[] = {
    {"minimal release is valid", {{0}}, NULL},
    {"explicit rolling is valid",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":1,\"maxUnavailable\":\"10%\"}}"}},
     NULL},
    {"canary with every step kind is valid",
     {{"spec.strategy",
       "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-canary\","
       "\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":[{\"name\":\"web\"}]}},\"steps\":["
       "{\"setWeight\":10},{\"pause\":{\"duration\":\"5m\"}},{\"pause\":{}},"
       "{\"analysis\":{\"templates\":[{\"templateName\":\"error-rate\"},"
       "{\"templateName\":\"latency\",\"clusterScope\":true}],"
       "\"args\":[{\"name\":\"service\",\"value\":\"web\"}]}},"
       "{\"approval\":{\"name\":\"prod\",\"rules\":[{\"group\":\"sre\",\"count\":1}]}},{"
       "\"setWeight\":100}]}}"}},
     NULL},
    {"canary with nginx and no steps is valid",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-c\","
                        "\"trafficRouting\":{\"nginx\":{\"stableIngress\":\"web\"}}}}"}},
     NULL},
    {"canary by replica ratio needs no services",
     {{"spec.strategy",
       "{\"canary\":{\"steps\":[{\"setWeight\":50},{\"pause\":{\"duration\":30}}]}}"}},
     NULL},
    {"blueGreen is valid",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"web\",\"previewService\":"
                        "\"web-preview\",\"autoPromotionEnabled\":false,"
                        "\"scaleDownDelaySeconds\":30,\"prePromotionAnalysis\":{\"templates\":"
                        "[{\"templateName\":\"smoke\"}]}}}"}},
     NULL},
    {"replicas 0 is valid", {{"spec.replicas", "0"}}, NULL},
    {"maxSurge above 100% is valid (as Deployment)",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":\"200%\"}}"}},
     NULL},
    {"maxUnavailable 0 with surge is valid",
     {{"spec.strategy", "{\"rolling\":{\"maxUnavailable\":0}}"}},
     NULL},

    /* metadata and top-level fields */
    {"name is required", {{"metadata.name", DEL}}, "metadata.name: required"},
    {"spec is required", {{"spec", DEL}}, "spec: required"},
    {"name leaves room for the revision",
     {{"metadata.name",
       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""}},
     "metadata.name: must be at most 242 characters, so that ReplicaSet names (name-revision) "
     "stay within 253"},
    {"a name of 242 is fine",
     {{"metadata.name",
       "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\""}},
     NULL},
    {"bad template label value",
     {{"spec.template.metadata.labels.tier", "\"front end\""}},
     "spec.template.metadata.labels: tier: invalid label value"},
    {"bad template label key",
     {{"spec.template.metadata.labels.-tier", "\"fe\""}},
     "spec.template.metadata.labels: invalid label key \"-tier\""},
    {"replicas must be an integer",
     {{"spec.replicas", "\"3\""}},
     "spec.replicas: must be an integer"},
    {"replicas must not be negative",
     {{"spec.replicas", "-1"}},
     "spec.replicas: must not be negative"},
    {"replicas must fit int32",
     {{"spec.replicas", "2147483648"}},
     "spec.replicas: must be at most 2147483647"},
    {"minReadySeconds must not be negative",
     {{"spec.minReadySeconds", "-5"}},
     "spec.minReadySeconds: must not be negative"},
    {"revisionHistoryLimit must be an integer",
     {{"spec.revisionHistoryLimit", "1.5"}},
     "spec.revisionHistoryLimit: must be an integer"},
    {"progressDeadlineSeconds must be positive",
     {{"spec.progressDeadlineSeconds", "0"}},
     "spec.progressDeadlineSeconds: must be at least 1"},
    {"progressDeadlineSeconds must exceed minReadySeconds",
     {{"spec.minReadySeconds", "600"}},
     "spec.progressDeadlineSeconds: must be greater than minReadySeconds"},
    {"paused must be a boolean", {{"spec.paused", "\"yes\""}}, "spec.paused: must be a boolean"},
    {"restartAt must be a time",
     {{"spec.restartAt", "\"tomorrow\""}},
     "spec.restartAt: must be an RFC 3339 time such as \"2026-12-02T18:30:00Z\""},
    {"restartAt must be a string",
     {{"spec.restartAt", "1795695600"}},
     "spec.restartAt: must be an RFC 3339 time such as \"2026-12-02T18:30:00Z\""},
    {"restartAt an RFC 3339 time", {{"spec.restartAt", "\"2026-11-26T12:20:00Z\""}}, NULL},

    /* selector and template */
    {"selector is required", {{"spec.selector", DEL}}, "spec.selector: required"},
    {"empty matchLabels",
     {{"spec.selector.matchLabels", "{}"}},
     "spec.selector.matchLabels: must have at least one label"},
    {"matchExpressions unsupported",
     {{"spec.selector.matchExpressions", "[{\"key\":\"app\",\"operator\":\"Exists\"}]"}},
     "spec.selector.matchExpressions: not supported; use matchLabels"},
    {"selector must match template labels",
     {{"spec.selector.matchLabels.app", "\"api\""}},
     "spec.template.metadata.labels: must match spec.selector.matchLabels"},
    {"template without labels does not match",
     {{"spec.template.metadata", DEL}},
     "spec.template.metadata.labels: must match spec.selector.matchLabels"},
    {"bad label key",
     {{"spec.selector.matchLabels", "{\"-app\":\"web\"}"}},
     "spec.selector.matchLabels: invalid label key \"-app\""},
    {"bad label value",
     {{"spec.selector.matchLabels.app", "\"web!\""}},
     "spec.selector.matchLabels: app: invalid label value \"web!\""},
    {"revision label reserved in selector",
     {{"spec.selector.matchLabels", "{\"app\":\"web\",\"slipway.dev/revision\":\"x\"}"},
      {"spec.template.metadata.labels", "{\"app\":\"web\",\"slipway.dev/revision\":\"x\"}"}},
     "spec.selector.matchLabels: slipway.dev/revision is reserved for the controller; "
     "spec.template.metadata.labels: slipway.dev/revision is reserved for the controller"},
    {"template is required", {{"spec.template", DEL}}, "spec.template: required"},
    {"template spec is required", {{"spec.template.spec", DEL}}, "spec.template.spec: required"},
    {"containers are required",
     {{"spec.template.spec.containers", "[]"}},
     "spec.template.spec.containers: must have at least one container"},
    {"image is required (the API accepts a template without one)",
     {{"spec.template.spec.containers.0.image", DEL}},
     "spec.template.spec.containers[0].image: required"},
    {"container name is required",
     {{"spec.template.spec.containers.0.name", "\"\""}},
     "spec.template.spec.containers[0].name: required"},

    /* strategy choice */
    {"empty strategy",
     {{"spec.strategy", "{}"}},
     "spec.strategy: must have exactly one of rolling, canary, blueGreen"},
    {"two strategies",
     {{"spec.strategy", "{\"rolling\":{},\"canary\":{}}"}},
     "spec.strategy: must have exactly one of rolling, canary, blueGreen"},
    {"unknown strategy",
     {{"spec.strategy", "{\"recreate\":{}}"}},
     "spec.strategy: unknown field \"recreate\": must have exactly one of rolling, canary, "
     "blueGreen"},
    {"strategy member must be an object",
     {{"spec.strategy", "{\"rolling\":true}"}},
     "spec.strategy.rolling: must be an object"},

    /* rolling */
    {"maxSurge not a number",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":\"abc\"}}"}},
     "spec.strategy.rolling.maxSurge: must be an integer or a percentage (e.g. \"25%\")"},
    {"maxSurge string without %",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":\"3\"}}"}},
     "spec.strategy.rolling.maxSurge: must be an integer or a percentage (e.g. \"25%\")"},
    {"maxSurge negative",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":-1}}"}},
     "spec.strategy.rolling.maxSurge: must not be negative"},
    {"maxUnavailable above 100%",
     {{"spec.strategy", "{\"rolling\":{\"maxUnavailable\":\"101%\"}}"}},
     "spec.strategy.rolling.maxUnavailable: must not be greater than 100%"},
    {"both zero",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":0,\"maxUnavailable\":\"0%\"}}"}},
     "spec.strategy.rolling.maxUnavailable: may not be 0 when maxSurge is 0"},

    /* canary */
    {"setWeight above 100",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setWeight\":101}]}}"}},
     "spec.strategy.canary.steps[0].setWeight: must be an integer between 0 and 100"},
    {"unknown step",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setWeight\":1},{\"wait\":{}}]}}"}},
     "spec.strategy.canary.steps[1]: unknown step \"wait\": must be one of setWeight, pause, "
     "analysis, approval, setCanaryScale, setHeaderRoute, setMirrorRoute"},
    {"step with two kinds",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setWeight\":1,\"pause\":{}}]}}"}},
     "spec.strategy.canary.steps[0]: must have exactly one of setWeight, pause, analysis, "
     "approval, setCanaryScale, setHeaderRoute, setMirrorRoute"},
    {"bad pause duration",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":{\"duration\":\"5 minutes\"}}]}}"}},
     "spec.strategy.canary.steps[0].pause.duration: must be a duration such as \"30s\", "
     "\"5m\" or \"1h\", or an integer number of seconds"},
    {"negative pause duration",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":{\"duration\":\"-5m\"}}]}}"}},
     "spec.strategy.canary.steps[0].pause.duration: must not be negative"},
    {"pause must be an object",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":5}]}}"}},
     "spec.strategy.canary.steps[0].pause: must be an object (pause: {} waits until "
     "promoted)"},
    {"analysis needs templates",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"analysis\":{}}]}}"}},
     "spec.strategy.canary.steps[0].analysis.templates: required"},
    {"analysis template name required",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"analysis\":{\"templates\":[{}]}}]}}"}},
     "spec.strategy.canary.steps[0].analysis.templates[0].templateName: required"},
    {"analysis arg needs a name",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"analysis\":{\"templates\":[{"
                        "\"templateName\":\"t\"}],\"args\":[{\"value\":\"x\"}]}}]}}"}},
     "spec.strategy.canary.steps[0].analysis.args[0].name: required"},
    {"approval name must be a label",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"approval\":{\"name\":\"Prod!\","
                        "\"rules\":[{\"group\":\"sre\",\"count\":1}]}}]}}"}},
     "spec.strategy.canary.steps[0].approval.name: \"Prod!\" is not a valid DNS-1035 label "
     "(lowercase letters, digits and '-', starting with a letter, at most 63)"},
    {"approval needs rules",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"approval\":{\"name\":\"prod\"}}]}}"}},
     "spec.strategy.canary.steps[0].approval.rules: required"},
    {"traffic routing needs services",
     {{"spec.strategy", "{\"canary\":{\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":"
                        "[{\"name\":\"web\"}]}}}}"}},
     "spec.strategy.canary.stableService: required when trafficRouting is set; "
     "spec.strategy.canary.canaryService: required when trafficRouting is set"},
    {"traffic routing needs exactly one provider",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"a\",\"canaryService\":\"b\","
                        "\"trafficRouting\":{}}}"}},
     "spec.strategy.canary.trafficRouting: must have exactly one of gatewayAPI, nginx"},
    {"unknown traffic provider",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"a\",\"canaryService\":\"b\","
                        "\"trafficRouting\":{\"istio\":{}}}}"}},
     "spec.strategy.canary.trafficRouting: unknown field \"istio\": must have exactly one "
     "of gatewayAPI, nginx"},
    {"gatewayAPI needs httpRoutes",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"a\",\"canaryService\":\"b\","
                        "\"trafficRouting\":{\"gatewayAPI\":{}}}}"}},
     "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes: required"},
    {"same stable and canary service",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web\"}}"}},
     "spec.strategy.canary.canaryService: must differ from stableService"},
    {"service name must be a DNS label",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"web.svc\"}}"}},
     "spec.strategy.canary.stableService: \"web.svc\" is not a valid DNS-1035 label "
     "(lowercase letters, digits and '-', starting with a letter, at most 63)"},
    {"steps must be a list",
     {{"spec.strategy", "{\"canary\":{\"steps\":{}}}"}},
     "spec.strategy.canary.steps: must be a list"},

    /* canary: the API of issue 13 */
    {"setCanaryScale replicas, weight and matchTrafficWeight are valid",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setCanaryScale\":{\"replicas\":3}},{\"setCanaryScale\":{\"weight\":20}},"
              "{\"setCanaryScale\":{\"matchTrafficWeight\":true}}]"}},
     NULL},
    {"setCanaryScale with two keys",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setCanaryScale\":{\"replicas\":3,\"weight\":20}}]"}},
     S0 "setCanaryScale: must have exactly one of replicas, weight, matchTrafficWeight"},
    {"setCanaryScale empty",
     {{"spec.strategy", CANARY_GW}, {STEPS, "[{\"setCanaryScale\":{}}]"}},
     S0 "setCanaryScale: must have exactly one of replicas, weight, matchTrafficWeight"},
    {"setCanaryScale weight above 100",
     {{"spec.strategy", CANARY_GW}, {STEPS, "[{\"setCanaryScale\":{\"weight\":101}}]"}},
     S0 "setCanaryScale.weight: must be an integer between 0 and 100"},
    {"setCanaryScale negative replicas",
     {{"spec.strategy", CANARY_GW}, {STEPS, "[{\"setCanaryScale\":{\"replicas\":-1}}]"}},
     S0 "setCanaryScale.replicas: must not be negative"},
    {"setCanaryScale matchTrafficWeight false",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setCanaryScale\":{\"matchTrafficWeight\":false}}]"}},
     S0 "setCanaryScale.matchTrafficWeight: must be true (it puts the canary's pods back in "
        "step with its traffic weight)"},
    {"setCanaryScale needs traffic routing",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setCanaryScale\":{\"replicas\":1}}]}}"}},
     S0 "setCanaryScale: requires trafficRouting (without it the canary's share of pods is "
        "its traffic weight)"},
    {"setHeaderRoute and its removal are valid with gatewayAPI",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"beta\",\"match\":[{\"headerName\":\"X-Beta\","
              "\"headerValue\":{\"exact\":\"yes\"}},{\"headerName\":\"User-Agent\","
              "\"headerValue\":{\"prefix\":\"Mozilla\"}}]}},{\"setHeaderRoute\":{\"name\":"
              "\"beta\"}}]"}},
     NULL},
    {"setHeaderRoute needs traffic routing",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setHeaderRoute\":{\"name\":\"beta\"}}]}}"}},
     S0 "setHeaderRoute: requires trafficRouting (gatewayAPI or nginx)"},
    {"setHeaderRoute needs a name",
     {{"spec.strategy", CANARY_GW}, {STEPS, "[{\"setHeaderRoute\":{}}]"}},
     S0 "setHeaderRoute.name: required"},
    {"headerValue with two kinds",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"b\",\"match\":[{\"headerName\":\"X\","
              "\"headerValue\":{\"exact\":\"1\",\"regex\":\"1.*\"}}]}}]"}},
     S0 "setHeaderRoute.match[0].headerValue: must have exactly one of exact, prefix, regex"},
    {"headerValue required, headerName a token",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"b\",\"match\":[{\"headerName\":\"X Beta\"}]}}]"}},
     S0 "setHeaderRoute.match[0].headerName: \"X Beta\" is not a valid HTTP header name "
        "(letters, digits and !#$%&'*+-.^_`|~, at most 256); " S0
        "setHeaderRoute.match[0].headerValue: required"},
    {"headerValue exact must not be empty",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"b\",\"match\":[{\"headerName\":\"X\","
              "\"headerValue\":{\"exact\":\"\"}}]}}]"}},
     S0 "setHeaderRoute.match[0].headerValue.exact: required"},
    {"setHeaderRoute with nginx: one header, exact or regex, one name",
     {{"spec.strategy", CANARY_NGINX},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"beta\",\"match\":[{\"headerName\":\"X-Beta\","
              "\"headerValue\":{\"regex\":\"^yes|always$\"}}]}},{\"setWeight\":10},"
              "{\"setHeaderRoute\":{\"name\":\"beta\"}}]"}},
     NULL},
    {"nginx header routes: two headers, a prefix, a second name",
     {{"spec.strategy", CANARY_NGINX},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"a\",\"match\":[{\"headerName\":\"X\","
              "\"headerValue\":{\"exact\":\"1\"}},{\"headerName\":\"Y\",\"headerValue\":{"
              "\"exact\":\"2\"}}]}},{\"setHeaderRoute\":{\"name\":\"b\",\"match\":[{"
              "\"headerName\":\"X\",\"headerValue\":{\"prefix\":\"1\"}}]}}]"}},
     S0 "setHeaderRoute.match: nginx (canary-by-header) matches one header: must have at most "
        "one item; spec.strategy.canary.steps[1].setHeaderRoute.match[0].headerValue: nginx "
        "(canary-by-header) cannot match a prefix: use exact or regex; "
        "spec.strategy.canary.steps[1].setHeaderRoute.name: nginx has one canary Ingress, so "
        "one header route: every setHeaderRoute must be named \"a\""},
    {"setMirrorRoute forms are valid with gatewayAPI",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setMirrorRoute\":{\"name\":\"shadow\",\"percentage\":20}},"
              "{\"setMirrorRoute\":{\"name\":\"shadow\",\"match\":[{\"method\":{\"exact\":"
              "\"GET\"},\"path\":{\"prefix\":\"/api\"},\"headers\":{\"X-Mirror\":{\"exact\":"
              "\"1\"}}}]}},{\"setMirrorRoute\":{\"name\":\"shadow\"}}]"}},
     NULL},
    {"setMirrorRoute needs gatewayAPI",
     {{"spec.strategy", CANARY_NGINX},
      {STEPS, "[{\"setMirrorRoute\":{\"name\":\"shadow\",\"percentage\":20}}]"}},
     S0 "setMirrorRoute: requires trafficRouting.gatewayAPI"},
    {"setMirrorRoute percentage above 100",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setMirrorRoute\":{\"name\":\"shadow\",\"percentage\":101}}]"}},
     S0 "setMirrorRoute.percentage: must be an integer between 0 and 100"},
    {"setMirrorRoute match: method by prefix, relative path, empty item",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setMirrorRoute\":{\"name\":\"m\",\"match\":[{\"method\":{\"prefix\":"
              "\"G\"},\"path\":{\"exact\":\"api\"}},{}]}}]"}},
     S0 "setMirrorRoute.match[0].method: must be {exact: METHOD} with one of GET, HEAD, POST, "
        "PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH; " S0
        "setMirrorRoute.match[0].path: must start with \"/\"; " S0
        "setMirrorRoute.match[1]: must have at least one of method, path, headers"},
    {"16 header and 16 mirror route names are fine, a name used again is no new one",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"h0\"}},{\"setHeaderRoute\":{\"name\":\"h1\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h2\"}},{\"setHeaderRoute\":{\"name\":\"h3\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h4\"}},{\"setHeaderRoute\":{\"name\":\"h5\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h6\"}},{\"setHeaderRoute\":{\"name\":\"h7\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h8\"}},{\"setHeaderRoute\":{\"name\":\"h9\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h10\"}},{\"setHeaderRoute\":{\"name\":\"h11\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h12\"}},{\"setHeaderRoute\":{\"name\":\"h13\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h14\"}},{\"setHeaderRoute\":{\"name\":\"h15\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h0\"}},{\"setMirrorRoute\":{\"name\":\"m0\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m1\"}},{\"setMirrorRoute\":{\"name\":\"m2\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m3\"}},{\"setMirrorRoute\":{\"name\":\"m4\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m5\"}},{\"setMirrorRoute\":{\"name\":\"m6\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m7\"}},{\"setMirrorRoute\":{\"name\":\"m8\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m9\"}},{\"setMirrorRoute\":{\"name\":\"m10\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m11\"}},{\"setMirrorRoute\":{\"name\":\"m12\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m13\"}},{\"setMirrorRoute\":{\"name\":\"m14\"}},{"
              "\"setMirrorRoute\":{\"name\":\"m15\"}}]"}},
     NULL},
    {"a 17th header route name is too many",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"h0\"}},{\"setHeaderRoute\":{\"name\":\"h1\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h2\"}},{\"setHeaderRoute\":{\"name\":\"h3\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h4\"}},{\"setHeaderRoute\":{\"name\":\"h5\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h6\"}},{\"setHeaderRoute\":{\"name\":\"h7\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h8\"}},{\"setHeaderRoute\":{\"name\":\"h9\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h10\"}},{\"setHeaderRoute\":{\"name\":\"h11\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h12\"}},{\"setHeaderRoute\":{\"name\":\"h13\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h14\"}},{\"setHeaderRoute\":{\"name\":\"h15\"}},{"
              "\"setHeaderRoute\":{\"name\":\"h16\"}}]"}},
     "spec.strategy.canary.steps[16].setHeaderRoute.name: more than 16 setHeaderRoute names "
     "in one rollout"},
    {"a header route name is not a mirror route name",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setHeaderRoute\":{\"name\":\"x\"}},{\"setMirrorRoute\":{\"name\":\"x\"}}]"}},
     "spec.strategy.canary.steps[1].setMirrorRoute.name: \"x\" already names a setHeaderRoute "
     "in steps[0]: header and mirror routes need different names"},
    {"httpRoutes: a route twice, a rule twice, a route beside its rules",
     {{"spec.strategy", CANARY_GW},
      {"spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes",
       "[{\"name\":\"a\",\"rule\":\"r1\"},{\"name\":\"a\",\"rule\":\"r2\"},{\"name\":\"b\"},"
       "{\"name\":\"a\",\"rule\":\"r1\"},{\"name\":\"b\",\"rule\":\"r\"}]"}},
     "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[3]: route \"a\" is already "
     "listed as httpRoutes[0] (list a route once without rule, or once per rule); "
     "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[4]: route \"b\" is already "
     "listed as httpRoutes[2] (list a route once without rule, or once per rule)"},
    {"httpRoutes must not be empty",
     {{"spec.strategy", CANARY_GW},
      {"spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes", "[]"}},
     "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes: must be a non-empty list"},
    {"gatewayAPI and nginx at once",
     {{"spec.strategy", CANARY_GW},
      {"spec.strategy.canary.trafficRouting.nginx", "{\"stableIngress\":\"web\"}"}},
     "spec.strategy.canary.trafficRouting: gatewayAPI and nginx cannot both be set: one "
     "traffic router per Release"},
    {"nginx needs stableIngress; annotationPrefix is a DNS subdomain",
     {{"spec.strategy", CANARY_NGINX},
      {"spec.strategy.canary.trafficRouting.nginx", "{\"annotationPrefix\":\"Nginx/\"}"}},
     "spec.strategy.canary.trafficRouting.nginx.stableIngress: required; "
     "spec.strategy.canary.trafficRouting.nginx.annotationPrefix: \"Nginx/\" is not a valid "
     "DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253)"},
    {"the canary Ingress name must fit 253",
     {{"spec.strategy", CANARY_NGINX},
      {"spec.strategy.canary.trafficRouting.nginx.stableIngress",
       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""}},
     "spec.strategy.canary.trafficRouting.nginx.stableIngress: too long: the canary Ingress "
     "name <release>-<stableIngress>-canary would have 254 characters, more than 253"},
    {"mirror headers: a bad name, an empty map",
     {{"spec.strategy", CANARY_GW},
      {STEPS, "[{\"setMirrorRoute\":{\"name\":\"m\",\"match\":[{\"headers\":{\"X Y\":{"
              "\"exact\":\"1\"}}},{\"headers\":{}}]}}]"}},
     S0 "setMirrorRoute.match[0].headers: \"X Y\" is not a valid HTTP header name (letters, "
        "digits and !#$%&'*+-.^_`|~, at most 256); " S0
        "setMirrorRoute.match[1].headers: must name at least one header"},
    {"minPodsPerReplicaSet at least 1",
     {{"spec.strategy", CANARY_GW}, {"spec.strategy.canary.minPodsPerReplicaSet", "0"}},
     "spec.strategy.canary.minPodsPerReplicaSet: must be at least 1"},
    {"abortScaleDownDelaySeconds not negative",
     {{"spec.strategy", CANARY_GW}, {"spec.strategy.canary.abortScaleDownDelaySeconds", "-1"}},
     "spec.strategy.canary.abortScaleDownDelaySeconds: must not be negative"},
    {"scaleDownDelaySeconds and dynamicStableScale need traffic routing",
     {{"spec.strategy", "{\"canary\":{\"scaleDownDelaySeconds\":10,\"dynamicStableScale\":true}}"}},
     "spec.strategy.canary.scaleDownDelaySeconds: only used with trafficRouting; "
     "spec.strategy.canary.dynamicStableScale: only used with trafficRouting"},
    {"dynamicStableScale excludes scaleDownDelaySeconds",
     {{"spec.strategy", CANARY_GW},
      {"spec.strategy.canary.dynamicStableScale", "true"},
      {"spec.strategy.canary.scaleDownDelaySeconds", "5"}},
     "spec.strategy.canary.dynamicStableScale: cannot be used with scaleDownDelaySeconds"},
    {"canary pace is parsed as rolling's",
     {{"spec.strategy", "{\"canary\":{\"maxSurge\":\"abc\",\"maxUnavailable\":\"101%\"}}"}},
     "spec.strategy.canary.maxSurge: must be an integer or a percentage (e.g. \"25%\"); "
     "spec.strategy.canary.maxUnavailable: must not be greater than 100%"},
    {"canary pace may not be 0 and 0",
     {{"spec.strategy", "{\"canary\":{\"maxSurge\":0,\"maxUnavailable\":0}}"}},
     "spec.strategy.canary.maxUnavailable: may not be 0 when maxSurge is 0"},

    /* blueGreen */
    {"activeService required",
     {{"spec.strategy", "{\"blueGreen\":{}}"}},
     "spec.strategy.blueGreen.activeService: required"},
    {"preview must differ",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"w\",\"previewService\":\"w\"}}"}},
     "spec.strategy.blueGreen.previewService: must differ from activeService"},
    {"scaleDownDelaySeconds not negative",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"w\",\"scaleDownDelaySeconds\":-1}}"}},
     "spec.strategy.blueGreen.scaleDownDelaySeconds: must not be negative"},
    {"autoPromotionEnabled must be a boolean",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"w\",\"autoPromotionEnabled\":1}}"}},
     "spec.strategy.blueGreen.autoPromotionEnabled: must be a boolean"},

    /* several at once: every error is reported, in spec order */
    {"all errors are collected",
     {{"spec.replicas", "-2"},
      {"spec.template.spec.containers.0.image", "\"\""},
      {"spec.strategy", "{\"rolling\":{\"maxSurge\":\"abc\",\"maxUnavailable\":\"150%\"}}"},
      {"spec.paused", "1"}},
     "spec.replicas: must not be negative; spec.template.spec.containers[0].image: required; "
     "spec.paused: must be a boolean; spec.strategy.rolling.maxSurge: must be an integer or a "
     "percentage (e.g. \"25%\"); spec.strategy.rolling.maxUnavailable: must not be greater "
     "than 100%"},
};

/* Sets or deletes the member at a dotted path, creating objects on the way. */
static int apply(json_t *root, const struct patch *p)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", p->path);
	json_t *cur = root;
	char *seg = buf;
	for (;;) {
		char *dot = strchr(seg, '.');
		if (dot)
			*dot = '\0';
		bool index = seg[0] >= '0' && seg[0] <= '9';
		if (!dot) {
			if (!p->value)
				return index ? json_array_remove(cur, strtoul(seg, NULL, 10))
				             : json_object_del(cur, seg);
			json_error_t err;
			json_t *v = json_loads(p->value, JSON_DECODE_ANY, &err);
			if (!v)
				return -1;
			return index ? json_array_set_new(cur, strtoul(seg, NULL, 10), v)
			             : json_object_set_new(cur, seg, v);
		}
		json_t *next =
		    index ? json_array_get(cur, strtoul(seg, NULL, 10)) : json_object_get(cur, seg);
		if (!next) {
			next = json_object();
			json_object_set_new(cur, seg, next);
		}
		cur = next;
		seg = dot + 1;
	}
}

static json_t *release_with(const struct patch *p, size_t n)
{
	json_t *r = json_loads(base_release, 0, NULL);
	for (size_t i = 0; i < n && p[i].path; i++) {
		if (apply(r, &p[i]) != 0)
			tap_diag("cannot apply test patch %s", p[i].path);
	}
	return r;
}

static void check_defaults(void)
{
	json_t *j = release_with(NULL, 0);
	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	is_int(rel_release_parse(j, &r, &errs), 0, "defaults: parses");
	if (!r) {
		json_decref(j);
		return;
	}
	is_str(r->name, "web", "name");
	is_str(r->namespace, "shop", "namespace");
	is_str(r->uid, "u-1", "uid");
	is_int(r->generation, 3, "generation");
	is_int(r->replicas, 1, "replicas defaults to 1");
	is_int(r->revision_history_limit, 10, "revisionHistoryLimit defaults to 10");
	is_int(r->progress_deadline_seconds, 600, "progressDeadlineSeconds defaults to 600");
	is_int(r->min_ready_seconds, 0, "minReadySeconds defaults to 0");
	ok(!r->paused, "paused defaults to false");
	is_int(r->restart_at, 0, "no restartAt: 0");
	is_int(r->strategy, REL_STRATEGY_ROLLING, "no strategy means rolling");
	ok(r->rolling.max_surge.is_percent && r->rolling.max_surge.value == 25, "maxSurge 25%%");
	ok(r->rolling.max_unavailable.is_percent && r->rolling.max_unavailable.value == 25,
	   "maxUnavailable 25%%");
	is_int(r->selector.n, 1, "one selector label");
	is_str(r->selector.items[0].key, "app", "selector key");
	ok(r->template == json_object_get(json_object_get(j, "spec"), "template"),
	   "template is the input's object (a reference)");
	is_str(r->revision, "r8kt9mf4mk", "revision of the template");
	json_decref(j);
	/* The release's reference keeps the template alive without the input. */
	is_str(json_string_value(json_object_get(
	           json_array_get(
	               json_object_get(json_object_get(r->template, "spec"), "containers"), 0),
	           "image")),
	       "nginx:1.25", "template outlives the input object");
	json_t *images = rel_template_images(r->template);
	ok(json_array_size(images) == 1 &&
	       strcmp(json_string_value(json_array_get(images, 0)), "nginx:1.25") == 0,
	   "images of the template");
	json_decref(images);
	r = rel_release_free(r);
	ok(r == NULL, "free returns NULL");
	is_int(errs.n, 0, "no errors");
}

static void check_canary(void)
{
	json_t *j = release_with(rows[2].p, 4);
	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	is_int(rel_release_parse(j, &r, &errs), 0, "canary parses");
	json_decref(j);
	if (!r)
		return;
	is_int(r->strategy, REL_STRATEGY_CANARY, "strategy canary");
	is_str(rel_strategy_name(r->strategy), "canary", "strategy name");
	is_str(r->canary.stable_service, "web", "stableService");
	is_str(r->canary.canary_service, "web-canary", "canaryService");
	is_int(r->canary.traffic, REL_TRAFFIC_GATEWAY_API, "gateway API routing");
	is_int(r->canary.n_http_routes, 1, "one HTTPRoute");
	is_str(r->canary.http_routes[0].name, "web", "httpRoutes[0].name");
	ok(r->canary.http_routes[0].rule == NULL, "no rule: every rule with both backends");
	is_int(r->canary.n_steps, 6, "six steps");
	struct rel_step *s = r->canary.steps;
	ok(s[0].kind == REL_STEP_SET_WEIGHT && s[0].set_weight == 10, "setWeight 10");
	ok(s[1].kind == REL_STEP_PAUSE && s[1].pause_has_duration &&
	       s[1].pause_duration_ns == 300 * INT64_C(1000000000),
	   "pause 5m");
	ok(s[2].kind == REL_STEP_PAUSE && !s[2].pause_has_duration, "pause {} waits");
	ok(s[3].kind == REL_STEP_ANALYSIS && s[3].analysis.n_templates == 2 &&
	       !s[3].analysis.templates[0].cluster_scope &&
	       s[3].analysis.templates[1].cluster_scope &&
	       strcmp(s[3].analysis.templates[1].template_name, "latency") == 0,
	   "analysis templates");
	ok(s[3].analysis.n_args == 1 && strcmp(s[3].analysis.args[0].value, "web") == 0,
	   "analysis args");
	ok(s[4].kind == REL_STEP_APPROVAL && strcmp(s[4].approval.name, "prod") == 0 &&
	       s[4].approval.n_rules == 1 && strcmp(s[4].approval.rules[0].group, "sre") == 0,
	   "approval gate");
	is_str(rel_step_name(s[4].kind), "approval", "step name");
	ok(s[5].kind == REL_STEP_SET_WEIGHT && s[5].set_weight == 100, "setWeight 100");
	rel_release_free(r);

	/* Integer and digit-string pause durations are seconds (Argo Rollouts). */
	struct patch p[] = {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":{\"duration\":"
	                                      "30}},{\"pause\":{\"duration\":\"45\"}},{\"pause\":{"
	                                      "\"duration\":\"1h30m\"}}]}}"}};
	j = release_with(p, 1);
	is_int(rel_release_parse(j, &r, &errs), 0, "pause forms parse");
	json_decref(j);
	if (r) {
		is_int(r->canary.steps[0].pause_duration_ns / 1000000000, 30, "30 is 30s");
		is_int(r->canary.steps[1].pause_duration_ns / 1000000000, 45, "\"45\" is 45s");
		is_int(r->canary.steps[2].pause_duration_ns / 1000000000, 5400, "1h30m");
		rel_release_free(r);
	}

	j = release_with(rows[5].p, 4);
	is_int(rel_release_parse(j, &r, &errs), 0, "blueGreen parses");
	json_decref(j);
	if (r) {
		is_int(r->strategy, REL_STRATEGY_BLUE_GREEN, "strategy blueGreen");
		is_str(r->blue_green.active_service, "web", "activeService");
		is_str(r->blue_green.preview_service, "web-preview", "previewService");
		ok(!r->blue_green.auto_promotion_enabled, "autoPromotionEnabled false");
		is_int(r->blue_green.scale_down_delay_seconds, 30, "scaleDownDelaySeconds");
		ok(r->blue_green.has_pre_promotion_analysis &&
		       r->blue_green.pre_promotion_analysis.n_templates == 1,
		   "prePromotionAnalysis");
		rel_release_free(r);
	}
	struct patch bg[] = {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"web\"}}"}};
	j = release_with(bg, 1);
	is_int(rel_release_parse(j, &r, &errs), 0, "minimal blueGreen parses");
	json_decref(j);
	if (r) {
		ok(r->blue_green.auto_promotion_enabled, "autoPromotionEnabled defaults to true");
		is_int(r->blue_green.scale_down_delay_seconds, 30,
		       "scaleDownDelaySeconds defaults to 30");
		ok(r->blue_green.preview_service == NULL, "no preview service");
		rel_release_free(r);
	}
	is_int(errs.n, 0, "no errors");
}

/* The canary of issue 13, every field written. */
static const char full_canary[] =
    "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-canary\","
    "\"maxSurge\":\"25%\",\"maxUnavailable\":0,\"scaleDownDelaySeconds\":45,"
    "\"abortScaleDownDelaySeconds\":0,\"minPodsPerReplicaSet\":2,"
    "\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":[{\"name\":\"web\",\"rule\":\"api\"},"
    "{\"name\":\"web-internal\"}]}},\"steps\":["
    "{\"setWeight\":10},{\"pause\":{\"duration\":\"1m\"}},{\"pause\":{}},"
    "{\"setCanaryScale\":{\"replicas\":3}},"
    "{\"setHeaderRoute\":{\"name\":\"beta\",\"match\":[{\"headerName\":\"X-Beta\","
    "\"headerValue\":{\"exact\":\"yes\"}}]}},"
    "{\"setMirrorRoute\":{\"name\":\"shadow\",\"percentage\":20}},"
    "{\"setMirrorRoute\":{\"name\":\"shadow\",\"match\":[{\"path\":{\"prefix\":\"/api\"},"
    "\"headers\":{\"X-Mirror\":{\"regex\":\"y.*\"}}}]}},"
    "{\"setMirrorRoute\":{\"name\":\"shadow\"}},{\"setWeight\":50}]}}";

static void check_canary_steps(const struct rel_canary *k)
{
	const struct rel_step *s = k->steps;
	ok(s[1].kind == REL_STEP_PAUSE && s[1].pause_duration_ns == 60 * INT64_C(1000000000),
	   "pause 1m");
	ok(s[3].kind == REL_STEP_SET_CANARY_SCALE &&
	       s[3].canary_scale.kind == REL_CANARY_SCALE_REPLICAS &&
	       s[3].canary_scale.replicas == 3,
	   "setCanaryScale replicas 3");
	is_str(rel_step_name(s[3].kind), "setCanaryScale", "step name setCanaryScale");
	const struct rel_header_route *h = &s[4].header_route;
	ok(s[4].kind == REL_STEP_SET_HEADER_ROUTE && h->n_match == 1 &&
	       strcmp(h->name, "beta") == 0 && strcmp(h->match[0].header_name, "X-Beta") == 0 &&
	       h->match[0].value.kind == REL_MATCH_EXACT &&
	       strcmp(h->match[0].value.value, "yes") == 0,
	   "setHeaderRoute beta X-Beta exact yes");
	const struct rel_mirror_route *m = &s[5].mirror_route;
	ok(s[5].kind == REL_STEP_SET_MIRROR_ROUTE && m->percentage == 20 && m->n_match == 0 &&
	       !m->remove,
	   "setMirrorRoute 20%% of every request");
	m = &s[6].mirror_route;
	ok(m->percentage == 100 && m->n_match == 1 && !m->remove && m->match[0].has_path &&
	       !m->match[0].has_method && m->match[0].path.kind == REL_MATCH_PREFIX &&
	       strcmp(m->match[0].path.value, "/api") == 0 && m->match[0].n_headers == 1 &&
	       strcmp(m->match[0].headers[0].header_name, "X-Mirror") == 0 &&
	       m->match[0].headers[0].value.kind == REL_MATCH_REGEX,
	   "setMirrorRoute with a match: percentage defaults to 100");
	ok(s[7].mirror_route.remove, "setMirrorRoute with a name only removes the route");
	ok(s[8].kind == REL_STEP_SET_WEIGHT && s[8].set_weight == 50, "setWeight 50");
}

static void check_canary_full(void)
{
	struct patch p[] = {{"spec.strategy", full_canary}};
	json_t *j = release_with(p, 1);
	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	is_int(rel_release_parse(j, &r, &errs), 0, "the canary of issue 13 parses");
	json_decref(j);
	char *got = model_errors_join(&errs, "; ");
	is_str(got, "", "with no messages");
	free(got);
	model_errors_clear(&errs);
	if (!r)
		return;
	const struct rel_canary *k = &r->canary;
	ok(k->pace.max_surge.is_percent && k->pace.max_surge.value == 25, "maxSurge 25%%");
	ok(!k->pace.max_unavailable.is_percent && k->pace.max_unavailable.value == 0,
	   "maxUnavailable 0");
	is_int(k->scale_down_delay_seconds, 45, "scaleDownDelaySeconds");
	is_int(k->abort_scale_down_delay_seconds, 0, "abortScaleDownDelaySeconds 0: never");
	is_int(k->min_pods_per_replica_set, 2, "minPodsPerReplicaSet");
	ok(!k->dynamic_stable_scale, "dynamicStableScale defaults to false");
	is_int(k->traffic, REL_TRAFFIC_GATEWAY_API, "gatewayAPI");
	is_int(k->n_http_routes, 2, "two routes");
	is_str(k->http_routes[0].rule, "api", "a rule named");
	ok(k->http_routes[1].rule == NULL, "no rule");
	is_int(k->n_steps, 9, "nine steps");
	if (k->n_steps == 9)
		check_canary_steps(k);
	rel_release_free(r);

	/* Defaults of a bare canary, and of nginx. */
	struct patch n[] = {{"spec.strategy", CANARY_NGINX}};
	j = release_with(n, 1);
	is_int(rel_release_parse(j, &r, NULL), 0, "nginx canary parses");
	json_decref(j);
	if (!r)
		return;
	k = &r->canary;
	ok(k->pace.max_surge.is_percent && k->pace.max_surge.value == 25 &&
	       k->pace.max_unavailable.is_percent && k->pace.max_unavailable.value == 25,
	   "canary pace defaults to 25%%/25%%, as rolling");
	is_int(k->scale_down_delay_seconds, 30, "scaleDownDelaySeconds defaults to 30");
	is_int(k->abort_scale_down_delay_seconds, 30, "abortScaleDownDelaySeconds defaults to 30");
	is_int(k->min_pods_per_replica_set, 1, "minPodsPerReplicaSet defaults to 1");
	is_int(k->traffic, REL_TRAFFIC_NGINX, "nginx");
	is_str(k->nginx.stable_ingress, "web", "stableIngress");
	is_str(k->nginx.annotation_prefix, "nginx.ingress.kubernetes.io",
	       "annotationPrefix defaults to ingress-nginx's");
	rel_release_free(r);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *j = release_with(rows[i].p, 4);
		struct model_errors errs = {0};
		struct rel_release *r = (struct rel_release *)&errs; /* must stay untouched */
		int ret = rel_release_parse(j, &r, &errs);
		char *got = model_errors_join(&errs, "; ");
		if (rows[i].errors) {
			is_int(ret, -EINVAL, "%s: invalid", rows[i].why);
			ok(r == (struct rel_release *)&errs, "%s: output untouched", rows[i].why);
			is_str(got, rows[i].errors, "%s: messages", rows[i].why);
		} else {
			is_int(ret, 0, "%s: valid", rows[i].why);
			is_str(got, "", "%s: no messages", rows[i].why);
			if (ret == 0)
				rel_release_free(r);
		}
		free(got);
		model_errors_clear(&errs);
		json_decref(j);
	}

	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	json_t *arr = json_array();
	is_int(rel_release_parse(arr, &r, &errs), -EINVAL, "an array is not a Release");
	json_decref(arr);
	model_errors_clear(&errs);

	/* A hostile manifest: 1000 bad steps give a bounded error list. */
	json_t *j = release_with(NULL, 0);
	json_t *steps = json_array();
	for (int i = 0; i < 100; i++)
		json_array_append_new(steps, json_pack("{s:i}", "setWeight", 1000));
	json_object_set_new(json_object_get(j, "spec"), "strategy",
	                    json_pack("{s:{s:o}}", "canary", "steps", steps));
	is_int(rel_release_parse(j, &r, &errs), -EINVAL, "100 bad steps are invalid");
	is_int(errs.n, MODEL_ERRORS_MAX, "messages kept up to the limit");
	is_int(errs.dropped, 100 - MODEL_ERRORS_MAX, "the rest counted");
	char *joined = model_errors_join(&errs, "; ");
	ok(joined && strstr(joined, "(and 68 more)") != NULL, "join says how many were dropped");
	free(joined);
	model_errors_clear(&errs);
	json_decref(j);

	check_defaults();
	check_canary();
	check_canary_full();
	return tap_done();
}
