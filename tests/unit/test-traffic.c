/*
 * rec_traffic_plan from tables: each row is a canary strategy, what the step
 * machine wants, the router objects as observed, and the exact actions (kind,
 * object, body) and report expected. JSON in the rows is written with single
 * quotes, turned into double quotes before parsing, to keep them readable.
 */
#include "tap.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "model/release.h"
#include "reconcilers/traffic.h"

/* s with every ' made a ". Caller owns; parsed, or NULL for NULL. */
static json_t *J(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	for (char *c = d; *c; c++)
		if (*c == '\'')
			*c = '"';
	json_error_t err;
	json_t *v = json_loads(d, JSON_DECODE_ANY, &err);
	if (!v)
		tap_diag("bad JSON in a row: %s: %s", err.text, d);
	free(d);
	return v;
}

#define RELEASE(strategy)                                                                          \
	"{'apiVersion':'slipway.dev/v1alpha1','kind':'Release',"                                   \
	"'metadata':{'name':'web','namespace':'shop','uid':'u-1','generation':3},"                 \
	"'spec':{'selector':{'matchLabels':{'app':'web'}},"                                        \
	"'template':{'metadata':{'labels':{'app':'web'}},"                                         \
	"'spec':{'containers':[{'name':'web','image':'nginx:1.25'}]}},"                            \
	"'strategy':" strategy "}}"

/* Steps: 0 setWeight, 1 header route (exact), 2 mirror route, 3 header
 * route by prefix, 4 mirror with a match. */
#define STEPS                                                                                      \
	"'steps':[{'setWeight':10},"                                                               \
	"{'setHeaderRoute':{'name':'beta','match':[{'headerName':'X-Beta',"                        \
	"'headerValue':{'exact':'yes'}}]}},"                                                       \
	"{'setMirrorRoute':{'name':'shadow','percentage':20}},"                                    \
	"{'setHeaderRoute':{'name':'pre','match':[{'headerName':'X-V',"                            \
	"'headerValue':{'prefix':'1.2'}}]}},"                                                      \
	"{'setMirrorRoute':{'name':'gets','match':[{'method':{'exact':'GET'},"                     \
	"'path':{'prefix':'/api'}}]}}]"

#define GW(routes)                                                                                 \
	"{'canary':{'stableService':'web','canaryService':'web-canary',"                           \
	"'trafficRouting':{'gatewayAPI':{'httpRoutes':" routes "}}," STEPS "}}"
#define GW_ALL   GW("[{'name':'web'}]")
#define GW_NAMED GW("[{'name':'web','rule':'api'}]")

#define NGINX_HEADER_STEP                                                                          \
	"{'setHeaderRoute':{'name':'beta','match':[{'headerName':'X-Beta',"                        \
	"'headerValue':{'exact':'yes'}}]}}"
#define NGINX                                                                                      \
	"{'canary':{'stableService':'web','canaryService':'web-canary',"                           \
	"'trafficRouting':{'nginx':{'stableIngress':'web'}},"                                      \
	"'steps':[{'setWeight':10}," NGINX_HEADER_STEP "]}}"

/* ---- routes ---- */

#define ROUTE(rules, status)                                                                       \
	"{'apiVersion':'gateway.networking.k8s.io/v1','kind':'HTTPRoute',"                         \
	"'metadata':{'name':'web','namespace':'shop','uid':'r-1'},"                                \
	"'spec':{'parentRefs':[{'name':'gw'}],'rules':[" rules "]}" status "}"
#define MATCH_ALL "[{'path':{'type':'PathPrefix','value':'/'}}]"
#define BOTH(ws, wc)                                                                               \
	"'backendRefs':[{'name':'web','port':80,'weight':" ws "},"                                 \
	"{'name':'web-canary','port':80,'weight':" wc "}]"
#define MANAGED(ws, wc) "{'matches':" MATCH_ALL "," BOTH(ws, wc) "}"
#define OTHER_RULE                                                                                 \
	"{'matches':[{'path':{'type':'PathPrefix','value':'/old'}}],"                              \
	"'backendRefs':[{'name':'legacy','port':80}]}"
/* Our header rule "beta" for MANAGED, as the API server stores it (with a
 * defaulted group, kind and weight the controller did not write). */
#define BETA_RULE                                                                                  \
	"{'name':'slipway.web.beta.0','matches':[{'path':{'type':'PathPrefix','value':'/'},"       \
	"'headers':[{'type':'Exact','name':'X-Beta','value':'yes'}]}],"                            \
	"'backendRefs':[{'group':'','kind':'Service','name':'web-canary','port':80,'weight':1}]}"
#define BETA_WANT                                                                                  \
	"{'name':'slipway.web.beta.0','matches':[{'path':{'type':'PathPrefix','value':'/'},"       \
	"'headers':[{'type':'Exact','name':'X-Beta','value':'yes'}]}],"                            \
	"'backendRefs':[{'name':'web-canary','port':80}]}"
#define SHADOW_RULE                                                                                \
	"{'name':'slipway.web.shadow.0','matches':" MATCH_ALL ","                                  \
	"'filters':[{'type':'RequestMirror','requestMirror':{'backendRef':"                        \
	"{'name':'web-canary','port':80},'percent':20}}]," BOTH("90", "10") "}"
#define ACCEPTED(s)                                                                                \
	",'status':{'parents':[{'parentRef':{'name':'gw'},'controllerName':'x/y',"                 \
	"'conditions':[{'type':'Accepted','status':'" s "'}]}]}"

/* The guards of MANAGED at rule index i. */
#define GUARD(i)                                                                                   \
	"{'op':'test','path':'/spec/rules/" i "/backendRefs/0/name','value':'web'},"               \
	"{'op':'test','path':'/spec/rules/" i "/backendRefs/1/name','value':'web-canary'}"
#define SET_W(i, ws, wc)                                                                           \
	"{'op':'replace','path':'/spec/rules/" i "/backendRefs/0/weight','value':" ws "},"         \
	"{'op':'replace','path':'/spec/rules/" i "/backendRefs/1/weight','value':" wc "}"
#define PATCH_ROUTE(ops)                                                                           \
	"{'kind':'json-patch','resource':'httproutes','name':'web','uid':'r-1','body':[" ops "]}"

/* ---- ingresses ---- */

#define STABLE_INGRESS                                                                             \
	"{'apiVersion':'networking.k8s.io/v1','kind':'Ingress',"                                   \
	"'metadata':{'name':'web','namespace':'shop','uid':'i-1',"                                 \
	"'labels':{'argocd.argoproj.io/instance':'shop'}},"                                        \
	"'spec':{'ingressClassName':'nginx','tls':[{'hosts':['a.example'],'secretName':'t'}],"     \
	"'rules':[{'host':'a.example','http':{'paths':["                                           \
	"{'path':'/"                                                                               \
	"','pathType':'Prefix','backend':{'service':{'name':'web','port':{'number':80}}}},"        \
	"{'path':'/admin','pathType':'Prefix','backend':{'service':{'name':'admin',"               \
	"'port':{'number':80}}}}]}},"                                                              \
	"{'host':'b.example','http':{'paths':[{'path':'/','pathType':'Prefix',"                    \
	"'backend':{'service':{'name':'other','port':{'number':80}}}}]}}]}}"
#define CANARY_SPEC                                                                                \
	"{'ingressClassName':'nginx','tls':[{'hosts':['a.example'],'secretName':'t'}],"            \
	"'rules':[{'host':'a.example','http':{'paths':[{'path':'/','pathType':'Prefix',"           \
	"'backend':{'service':{'name':'web-canary','port':{'number':80}}}}]}}]}"
#define NG "nginx.ingress.kubernetes.io/"
#define CANARY_INGRESS(uid, annotations)                                                           \
	"{'apiVersion':'networking.k8s.io/v1','kind':'Ingress',"                                   \
	"'metadata':{'name':'web-web-canary','namespace':'shop'," uid                              \
	"'labels':{'app.kubernetes.io/managed-by':'slipway'},"                                     \
	"'annotations':{" annotations "},"                                                         \
	"'ownerReferences':[{'apiVersion':'slipway.dev/v1alpha1','kind':'Release','name':'web',"   \
	"'uid':'u-1','controller':true,'blockOwnerDeletion':true}]},'spec':" CANARY_SPEC "}"
#define W10 "'" NG "canary':'true','" NG "canary-weight':'10'"
#define OLD_INGRESS                                                                                \
	"{'metadata':{'name':'web-old-canary','namespace':'shop','uid':'i-9',"                     \
	"'ownerReferences':[{'apiVersion':'slipway.dev/v1alpha1','kind':'Release','name':'web',"   \
	"'uid':'u-1','controller':true}]}}"
#define FOREIGN_INGRESS                                                                            \
	"{'metadata':{'name':'theirs','namespace':'shop','uid':'i-8',"                             \
	"'ownerReferences':[{'apiVersion':'slipway.dev/v1alpha1','kind':'Release','name':'x',"     \
	"'uid':'u-2','controller':true}]}}"

/* ---- services ---- */

#define SVC(name, rev)                                                                             \
	"{'metadata':{'name':'" name "','uid':'s-" name "'},"                                      \
	"'spec':{'selector':{'app':'web','slipway.dev/revision':'" rev "'}}}"

enum { INEFF = 1, DRIFT = 2, MISSING = 4, NOTACC = 8 };

static const struct row {
	const char *what;
	const char *strategy;
	int32_t weight;
	const char *stable_rev, *canary_rev;
	int header_steps[3]; /* step indexes, 0-terminated (step 0 is no route) */
	int mirror_steps[3];
	bool canary_ingress;
	const char *route; /* NULL: not found */
	const char *stable_ingress;
	const char *owned; /* a JSON array */
	const char *stable_svc, *canary_svc;
	int32_t last;
	const char *actions; /* expected summary */
	int report;          /* INEFF | DRIFT | MISSING | NOTACC */
	const char *message; /* expected, or NULL to skip */
} rows[] = {
    {"fresh route: both weights set, the names tested first",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("100", "0"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[" PATCH_ROUTE(GUARD("0") "," SET_W("0", "90", "10")) "]",
     0,
     ""},
    {"absent weights are added (default 1)",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE("{'backendRefs':[{'name':'web','port':80},{'name':'web-canary','port':80}]}", ""),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[" PATCH_ROUTE(
         GUARD("0") ",{'op':'add','path':'/spec/rules/0/backendRefs/0/weight','value':90},"
                    "{'op':'add','path':'/spec/rules/0/backendRefs/1/weight','value':10}") "]",
     0,
     ""},
    {"weights already set: nothing to do, in effect",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("90", "10"), ACCEPTED("True")),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[]",
     INEFF,
     ""},
    {"drift: the owner re-applied 100/0 over our 90/10",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("100", "0"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(GUARD("0") "," SET_W("0", "90", "10")) "]",
     DRIFT,
     ""},
    {"drift in two rules of one route: one drift, the route named once",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("100", "0") "," MANAGED("100", "0"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(
         GUARD("0") "," GUARD("1") "," SET_W("0", "90", "10") "," SET_W("1", "90", "10")) "]",
     DRIFT,
     ""},
    {"a step change is no drift",
     GW_ALL,
     50,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(GUARD("0") "," SET_W("0", "50", "50")) "]",
     0,
     ""},
    {"every rule with both backends, others left alone",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(OTHER_RULE "," MANAGED("100", "0") "," MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[" PATCH_ROUTE(GUARD("1") "," GUARD("2") "," SET_W("1", "90", "10")) "]",
     0,
     ""},
    {"named rule: only that one",
     GW_NAMED,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("100", "0") ",{'name':'api','matches':" MATCH_ALL "," BOTH("100", "0") "}", ""),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[" PATCH_ROUTE(GUARD("1") "," SET_W("1", "90", "10")) "]",
     0,
     ""},
    {"named rule missing a backend: missing, nothing written",
     GW_NAMED,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE("{'name':'api','backendRefs':[{'name':'web','port':80}]}", ""),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[]",
     MISSING,
     "rule 0 of HTTPRoute web does not have backendRefs web and web-canary once each"},
    {"named rule absent",
     GW_NAMED,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("100", "0"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[]",
     MISSING,
     "HTTPRoute web has no rule named api"},
    {"no rule with both backends",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(OTHER_RULE, ""),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[]",
     MISSING,
     "HTTPRoute web has no rule with backendRefs web and web-canary"},
    {"route not found",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     NULL,
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[]",
     MISSING,
     "HTTPRoute web not found"},
    {"route no parent accepted: reported, still patched",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(MANAGED("100", "0"), ACCEPTED("False")),
     NULL,
     NULL,
     NULL,
     NULL,
     -1,
     "[" PATCH_ROUTE(GUARD("0") "," SET_W("0", "90", "10")) "]",
     NOTACC,
     "HTTPRoute web is accepted by none of its parents"},
    {"header route added first, the managed rule's names tested",
     GW_ALL,
     10,
     NULL,
     NULL,
     {1},
     {0},
     false,
     ROUTE(MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(GUARD("0") ",{'op':'add','path':'/spec/rules/0','value':" BETA_WANT "}") "]",
     0,
     ""},
    {"header route kept (as stored, with defaults): in effect",
     GW_ALL,
     10,
     NULL,
     NULL,
     {1},
     {0},
     false,
     ROUTE(BETA_RULE "," MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[]",
     INEFF,
     ""},
    {"restart: our rule found anywhere; another Release's rule untouched",
     GW_ALL,
     10,
     NULL,
     NULL,
     {1},
     {0},
     false,
     ROUTE(MANAGED("90", "10") ",{'name':'slipway.webx.beta.0','backendRefs':[]}," BETA_RULE, ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[]",
     INEFF,
     ""},
    {"header route removed: its name tested at its index",
     GW_ALL,
     0,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(BETA_RULE "," MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(GUARD("1") ",{'op':'test','path':'/spec/rules/0/name','value':'slipway.web."
                                "beta.0'}," SET_W(
                                    "1", "100", "0") ","
                                                     "{'op':'remove','path':'/spec/rules/0'}") "]",
     0,
     ""},
    {"header route by prefix: an anchored, escaped regex",
     GW_ALL,
     10,
     NULL,
     NULL,
     {3},
     {0},
     false,
     ROUTE(MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(
         GUARD("0") ",{'op':'add','path':'/spec/rules/0','value':{'name':'slipway.web.pre.0',"
                    "'matches':[{'path':{'type':'PathPrefix','value':'/'},'headers':[{'type':"
                    "'RegularExpression','value':'^1\\\\.2.*','name':'X-V'}]}],"
                    "'backendRefs':[{'name':'web-canary','port':80}]}}") "]",
     0,
     ""},
    {"mirror route added: forwards as the managed rule, mirrors 20%",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {2},
     false,
     ROUTE(MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(GUARD("0") ",{'op':'add','path':'/spec/rules/0','value':" SHADOW_RULE "}") "]",
     0,
     ""},
    {"mirror route with a match",
     GW_ALL,
     10,
     NULL,
     NULL,
     {0},
     {4},
     false,
     ROUTE(MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(
         GUARD("0") ",{'op':'add','path':'/spec/rules/0','value':{'name':'slipway.web.gets.0',"
                    "'matches':[{'path':{'type':'PathPrefix','value':'/api'},'method':'GET'}],"
                    "'filters':[{'type':'RequestMirror','requestMirror':{'backendRef':"
                    "{'name':'web-canary','port':80},'percent':100}}]," BOTH("90", "10") "}}") "]",
     0,
     ""},
    {"mirror kept while the weight moves: our rule replaced in place",
     GW_ALL,
     50,
     NULL,
     NULL,
     {0},
     {2},
     false,
     ROUTE(SHADOW_RULE "," MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(GUARD(
         "1") ",{'op':'test','path':'/spec/rules/0/name','value':'slipway.web.shadow.0'},"
              "" SET_W("1", "50",
                       "50") ",{'op':'replace','path':'/spec/rules/0','value':"
                             "{'name':'slipway.web.shadow.0','matches':" MATCH_ALL ","
                             "'filters':[{'type':'RequestMirror','requestMirror':{'backendRef':"
                             "{'name':'web-canary','port':80},'percent':20}}]," BOTH(
                                 "50", "50") "}}") "]",
     0,
     ""},
    {"mirror and header removed at abort: descending indexes",
     GW_ALL,
     0,
     NULL,
     NULL,
     {0},
     {0},
     false,
     ROUTE(BETA_RULE "," SHADOW_RULE "," MANAGED("90", "10"), ""),
     NULL,
     NULL,
     NULL,
     NULL,
     10,
     "[" PATCH_ROUTE(
         GUARD("2") ",{'op':'test','path':'/spec/rules/0/name','value':'slipway.web.beta.0'},"
                    "{'op':'test','path':'/spec/rules/1/name','value':'slipway.web.shadow.0'},"
                    "" SET_W("2", "100", "0") ",{'op':'remove','path':'/spec/rules/1'},"
                                              "{'op':'remove','path':'/spec/rules/0'}") "]",
     0,
     ""},
    {"services: selectors to the revisions",
     GW_ALL,
     10,
     "old",
     "new",
     {0},
     {0},
     false,
     ROUTE(MANAGED("90", "10"), ""),
     NULL,
     NULL,
     SVC("web", "old"),
     SVC("web-canary", "old"),
     10,
     "[{'kind':'json-patch','resource':'services','name':'web-canary','uid':'s-web-canary',"
     "'body':[{'op':'test','path':'/spec/selector/slipway.dev~1revision','value':'old'},"
     "{'op':'replace','path':'/spec/selector/slipway.dev~1revision','value':'new'}]}]",
     0,
     ""},
    {"service missing",
     GW_ALL,
     10,
     "old",
     "new",
     {0},
     {0},
     false,
     ROUTE(MANAGED("90", "10"), ""),
     NULL,
     NULL,
     SVC("web", "old"),
     NULL,
     10,
     "[]",
     MISSING,
     "Service web-canary not found"},
    {"nginx create: paths to stableService only, tls and class copied",
     NGINX,
     10,
     NULL,
     NULL,
     {0},
     {0},
     true,
     NULL,
     STABLE_INGRESS,
     "[]",
     NULL,
     NULL,
     -1,
     "[{'kind':'apply','resource':'ingresses','name':'web-web-canary','body':" CANARY_INGRESS(
         "", W10) "}]",
     0,
     ""},
    {"nginx update: the weight moved",
     NGINX,
     10,
     NULL,
     NULL,
     {0},
     {0},
     true,
     NULL,
     STABLE_INGRESS,
     "[" CANARY_INGRESS("'uid':'i-2',", "'" NG "canary':'true','" NG "canary-weight':'5'") "]",
     NULL,
     NULL,
     5,
     "[{'kind':'apply','resource':'ingresses','name':'web-web-canary','body':" CANARY_INGRESS(
         "", W10) "}]",
     0,
     ""},
    {"nginx in effect",
     NGINX,
     10,
     NULL,
     NULL,
     {0},
     {0},
     true,
     NULL,
     STABLE_INGRESS,
     "[" CANARY_INGRESS("'uid':'i-2',", W10 ",'kubectl.x/y':'z'") "]",
     NULL,
     NULL,
     10,
     "[]",
     INEFF,
     ""},
    {"nginx header route: canary-by-header and -value",
     NGINX,
     10,
     NULL,
     NULL,
     {1},
     {0},
     true,
     NULL,
     STABLE_INGRESS,
     "[" CANARY_INGRESS("'uid':'i-2',", W10) "]",
     NULL,
     NULL,
     10,
     "[{'kind':'apply','resource':'ingresses','name':'web-web-canary','body':" CANARY_INGRESS(
         "", W10 ",'" NG "canary-by-header':'X-Beta','" NG "canary-by-header-value':'yes'") "}]",
     0,
     ""},
    {"nginx header annotation left over: applied again without it",
     NGINX,
     10,
     NULL,
     NULL,
     {0},
     {0},
     true,
     NULL,
     STABLE_INGRESS,
     "[" CANARY_INGRESS("'uid':'i-2',", W10 ",'" NG "canary-by-header':'X-Beta'") "]",
     NULL,
     NULL,
     10,
     "[{'kind':'apply','resource':'ingresses','name':'web-web-canary','body':" CANARY_INGRESS(
         "", W10) "}]",
     0,
     ""},
    {"nginx: an Ingress left from an earlier stableIngress is deleted",
     NGINX,
     10,
     NULL,
     NULL,
     {0},
     {0},
     true,
     NULL,
     STABLE_INGRESS,
     "[" CANARY_INGRESS("'uid':'i-2',", W10) "," OLD_INGRESS "," FOREIGN_INGRESS "]",
     NULL,
     NULL,
     10,
     "[{'kind':'delete','resource':'ingresses','name':'web-old-canary','uid':'i-9'}]",
     0,
     ""},
    {"nginx not wanted: every owned Ingress deleted",
     NGINX,
     0,
     NULL,
     NULL,
     {0},
     {0},
     false,
     NULL,
     STABLE_INGRESS,
     "[" CANARY_INGRESS("'uid':'i-2',", W10) "," OLD_INGRESS "]",
     NULL,
     NULL,
     0,
     "[{'kind':'delete','resource':'ingresses','name':'web-web-canary','uid':'i-2'},"
     "{'kind':'delete','resource':'ingresses','name':'web-old-canary','uid':'i-9'}]",
     0,
     ""},
    {"nginx: an owned Ingress without uid is left (no precondition to delete it with)",
     NGINX,
     0,
     NULL,
     NULL,
     {0},
     {0},
     false,
     NULL,
     STABLE_INGRESS,
     "[{'metadata':{'name':'web-web-canary','ownerReferences':[{'uid':'u-1','controller':true}]}}]",
     NULL,
     NULL,
     0,
     "[]",
     INEFF,
     ""},
    {"nginx: stable Ingress missing",
     NGINX,
     10,
     NULL,
     NULL,
     {0},
     {0},
     true,
     NULL,
     NULL,
     "[]",
     NULL,
     NULL,
     -1,
     "[]",
     MISSING,
     "Ingress web not found"},
    {"nginx: stable Ingress with no path to stableService",
     NGINX,
     10,
     NULL,
     NULL,
     {0},
     {0},
     true,
     NULL,
     "{'metadata':{'name':'web'},'spec':{'rules':[{'http':{'paths':[{'path':'/',"
     "'pathType':'Prefix','backend':{'service':{'name':'other','port':{'number':80}}}}]}}]}}",
     "[]",
     NULL,
     NULL,
     -1,
     "[]",
     MISSING,
     "Ingress web has no path to Service web"},
};

/* The plan as [{kind, resource, name, uid?, body?}]. */
static json_t *summary(const struct rec_plan *plan)
{
	json_t *out = json_array();
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "kind", rec_action_kind_name(a->kind),
		                      "resource", a->ref.resource, "name", a->ref.name);
		if (a->ref.uid)
			json_object_set_new(o, "uid", json_string(a->ref.uid));
		if (a->body)
			json_object_set(o, "body", a->body);
		json_array_append_new(out, o);
	}
	return out;
}

static void run_row(const struct row *row)
{
	json_t *rj = J(RELEASE("null"));
	json_object_set_new(json_object_get(rj, "spec"), "strategy", J(row->strategy));
	struct rel_release *rel = NULL;
	if (!ok(rel_release_parse(rj, &rel, NULL) == 0, "%s: the Release parses", row->what)) {
		json_decref(rj);
		return;
	}
	struct rec_traffic_want want = {.stable_revision = row->stable_rev,
	                                .canary_revision = row->canary_rev,
	                                .canary_weight = row->weight,
	                                .canary_ingress = row->canary_ingress};
	for (int i = 0; i < 3 && row->header_steps[i]; i++)
		want.header_routes[want.n_header_routes++] =
		    &rel->canary.steps[row->header_steps[i]].header_route;
	for (int i = 0; i < 3 && row->mirror_steps[i]; i++)
		want.mirror_routes[want.n_mirror_routes++] =
		    &rel->canary.steps[row->mirror_steps[i]].mirror_route;
	json_t *route = J(row->route), *stable_ing = J(row->stable_ingress);
	json_t *owned = row->owned ? J(row->owned) : json_array();
	json_t *ss = J(row->stable_svc), *cs = J(row->canary_svc);
	const json_t *routes[1] = {route};
	const json_t *owned_v[8];
	size_t n_owned = json_array_size(owned);
	for (size_t i = 0; i < n_owned && i < 8; i++)
		owned_v[i] = json_array_get(owned, i);
	struct rec_traffic_observed obs = {.stable_service = ss,
	                                   .canary_service = cs,
	                                   .http_routes = routes,
	                                   .n_http_routes = 1,
	                                   .stable_ingress = stable_ing,
	                                   .owned_ingresses = owned_v,
	                                   .n_owned_ingresses = n_owned};
	struct rec_plan plan;
	rec_plan_init(&plan);
	struct rec_traffic_report rep;
	memset(&rep, 0xff, sizeof(rep));
	int r = rec_traffic_plan(rel, NULL, &want, &obs, row->last, &plan, &rep);
	is_int(r, 0, "%s: planned", row->what);
	json_t *got = summary(&plan), *expect = J(row->actions);
	if (!ok(expect && json_equal(got, expect), "%s: the actions", row->what)) {
		char *g = json_dumps(got, JSON_COMPACT);
		tap_diag("got %s", g);
		free(g);
	}
	int flags = (rep.in_effect ? INEFF : 0) | (rep.drift_corrected ? DRIFT : 0) |
	            (rep.missing ? MISSING : 0) | (rep.not_accepted ? NOTACC : 0);
	is_int(flags, row->report, "%s: the report", row->what);
	/* The Event of a drift names the route (once, however many rules). */
	is_str(rep.drifted, flags & DRIFT ? "HTTPRoute web" : "", "%s: the routes drifted",
	       row->what);
	if (row->message)
		is_str(rep.message, row->message, "%s: the message", row->what);
	json_decref(got);
	json_decref(expect);
	json_decref(route);
	json_decref(stable_ing);
	json_decref(owned);
	json_decref(ss);
	json_decref(cs);
	rec_plan_clear(&plan);
	rel_release_free(rel);
	json_decref(rj);
}

/* A DNS-1123 subdomain: labels of [a-z0-9-] starting and ending alphanumeric. */
static bool is_subdomain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MODEL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool edge = i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';
		if (s[i] == '.' && !edge)
			continue;
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      (s[i] == '-' && !edge)))
			return false;
	}
	return true;
}

static void check_names(void)
{
	char out[MODEL_NAME_MAX + 1];
	is_int(rec_traffic_canary_ingress_name("web", "front", out, sizeof(out)), 0, "short name");
	is_str(out, "web-front-canary", "short: <release>-<stable>-canary");
	is_int(rec_traffic_canary_ingress_name("web", "front", out, 16), -ERANGE,
	       "a buffer too small: -ERANGE");

	char a[MODEL_NAME_MAX + 1], b[MODEL_NAME_MAX + 1];
	memset(a, 'a', 200);
	a[200] = '\0';
	memset(b, 'b', 120);
	b[120] = '\0';
	b[60] = '.'; /* a dot where the cut might fall is fine too */
	is_int(rec_traffic_canary_ingress_name(a, b, out, sizeof(out)), 0, "long names");
	is_int((long long)strlen(out), MODEL_NAME_MAX, "long: exactly 253");
	ok(is_subdomain(out), "long: a DNS-1123 subdomain (%s)", out);
	ok(strncmp(out, a, 200) == 0, "long: the release name kept");
	ok(strcmp(out + strlen(out) - 7, "-canary") == 0, "long: still ends -canary");
	char again[MODEL_NAME_MAX + 1], other[MODEL_NAME_MAX + 1];
	rec_traffic_canary_ingress_name(a, b, again, sizeof(again));
	is_str(again, out, "long: the same every time");
	b[119] = 'c';
	rec_traffic_canary_ingress_name(a, b, other, sizeof(other));
	ok(strcmp(other, out) != 0, "long: a difference past the cut still gives another name");

	/* A cut that would end on '-': "aaa…a-" must not leave "--". */
	memset(a, 'a', 234);
	a[234] = '\0';
	is_int(rec_traffic_canary_ingress_name(a, "xxxxxxxxxxxxxxxxxxxx", out, sizeof(out)), 0,
	       "cut at the dash");
	ok(is_subdomain(out) && !strstr(out, "--"), "cut at the dash: no '--' (%s)", out);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	check_names();
	return tap_done();
}
