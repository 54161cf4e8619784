#!/usr/bin/env bash
# The OpenAPI document: the running daemon serves docs/openapi.yaml as
# JSON at /v1/openapi.json (converted at build time), it is OpenAPI 3.1,
# and its methods and paths are exactly the routes of api_routes[] in
# api/routes.c, parsed from the source. A template segment ("{label}",
# or "{label}.crl" with a fixed suffix) stands for one '*' of the route
# table. Public parameterless GETs in the document are routed (not 404).
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
esd_init
esd_start

eq "GET /v1/openapi.json over HTTPS without a credential is 200" 200 \
	"$(https_code /v1/openapi.json)"
cp "$TMP/body" "$TMP/openapi.json"
check "... as application/json" bash -c "curl -s -o /dev/null -D - --cacert '$D/ca.pem' \
	'$URL/v1/openapi.json' | grep -qi '^content-type: application/json'"
check "... it is valid JSON (python3 -m json.tool)" "$PY" -m json.tool "$TMP/openapi.json"
check "... an OpenAPI 3.1.x document with paths" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert str(d.get("openapi", "")).startswith("3.1."), d.get("openapi")
assert d.get("paths"), "no paths"' "$TMP/openapi.json"
check "... the same document as docs/openapi.yaml (PyYAML)" "$PY" -c '
import json, sys, yaml
class L(yaml.SafeLoader): pass
L.yaml_implicit_resolvers = {c: [(t, r) for t, r in rs if not t.endswith(":timestamp")]
                             for c, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()}
served = json.load(open(sys.argv[1]))
source = yaml.load(open(sys.argv[2]), Loader=L)
if served != source:
    sys.exit("the served document is not docs/openapi.yaml: rebuild")' \
	"$TMP/openapi.json" "$SRC/docs/openapi.yaml"
# An unquoted comma inside a flow mapping ({description: a, b}) makes
# "b" a key without a value and cuts the text: no such key anywhere.
check "no key without a value in docs/openapi.yaml (a comma in a flow mapping)" "$PY" -c '
import sys, yaml
bad = []
def walk(x, path):
    if isinstance(x, dict):
        for k, v in x.items():
            if v is None:
                bad.append(path + "/" + str(k))
            walk(v, path + "/" + str(k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            walk(v, "%s/%d" % (path, i))
walk(yaml.safe_load(open(sys.argv[1])), "")
if bad:
    sys.exit("keys without a value: " + " ".join(bad))' "$SRC/docs/openapi.yaml"
check "the schemas name what the keeper writes: Subscriber.activated_at, Cert.subscriber" "$PY" -c '
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))["components"]["schemas"]
assert "activated_at" in s["Subscriber"]["properties"], "Subscriber.activated_at"
assert "subscriber" in s["Cert"]["properties"], "Cert.subscriber"' "$SRC/docs/openapi.yaml"
eq "over the Unix socket too" 200 "$(unix_code /v1/openapi.json)"
check "... with the same bytes" cmp "$TMP/body" "$TMP/openapi.json"
eq "POST /v1/openapi.json is 405" 405 "$(https_code /v1/openapi.json -X POST)"
eq "a malformed Authorization header is 401, as on every route" 401 \
	"$(https_code /v1/openapi.json -H 'Authorization: Bearer nope')"

# The route table, parsed from api/routes.c, against the document: every
# route documented and nothing documented that the server does not route.
# Flags must agree too: ROUTE_UNIX_ONLY is x-esignd-unix-only, a public
# route has "security: []", and an ROUTE_AUTH route has a credential
# (or x-esignd-peer-credential, the Unix peer's uid).
"$PY" - "$SRC/api/routes.c" "$TMP/openapi.json" >"$TMP/routes.out" 2>&1 <<'EOF'
import json, re, sys

# Comments out, string literals kept (patterns hold "/*" themselves).
src = re.sub(r'"(?:\\.|[^"\\\n])*"|/\*.*?\*/|//[^\n]*',
             lambda m: m.group(0) if m.group(0)[0] == '"' else " ",
             open(sys.argv[1]).read(), flags=re.S)
doc = json.load(open(sys.argv[2]))
table = re.search(r"const struct route api_routes\[\] = \{(.*?)\n\};", src, re.S)
if not table:
    sys.exit("cannot find api_routes[] in " + sys.argv[1])
body = table.group(1)
row = re.compile(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*(\w+),\s*([A-Z_|\s0-9]+?),\s*"(\w+)"\s*\}')
rows = row.findall(body)
if len(rows) != body.count("{") or not rows:
    sys.exit("parsed %d of %d rows of api_routes[]" % (len(rows), body.count("{")))

def pattern(path):
    # "/crl/{label}.crl" -> "/crl/*": one '*' per templated segment.
    return "/".join("*" if "{" in seg else seg for seg in path.split("/"))

routes = {}
for method, pat, fn, flags, name in rows:
    routes[(method, pat)] = (name, set(f.strip() for f in flags.split("|")))
methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ops = {}
for path, item in doc["paths"].items():
    for m, op in item.items():
        if m in methods:
            ops[(m.upper(), pattern(path))] = (path, op)

bad = 0
for key in sorted(set(routes) - set(ops)):
    print("route %s %s (%s) is not in docs/openapi.yaml" % (key + (routes[key][0],)))
    bad += 1
for key in sorted(set(ops) - set(routes)):
    print("docs/openapi.yaml has %s %s, which api_routes[] does not route"
          % (key[0], ops[key][0]))
    bad += 1
for key in sorted(set(routes) & set(ops)):
    name, flags = routes[key]
    path, op = ops[key]
    sec = op.get("security", doc.get("security"))
    where = "%s %s (%s)" % (key[0], path, name)
    if ("ROUTE_UNIX_ONLY" in flags) != bool(op.get("x-esignd-unix-only")):
        print(where + ": ROUTE_UNIX_ONLY and x-esignd-unix-only disagree")
        bad += 1
    if "ROUTE_AUTH" not in flags and sec != []:
        print(where + ": a public route without 'security: []'")
        bad += 1
    if "ROUTE_AUTH" in flags and sec == [] and not op.get("x-esignd-peer-credential"):
        print(where + ": needs a credential but says 'security: []'")
        bad += 1
ids = [op.get("operationId") for _, op in ops.values()]
for i in sorted(set(x for x in ids if ids.count(x) > 1 or x is None), key=str):
    print("operationId %r is missing or not unique" % i)
    bad += 1
print("%d routes, %d operations, %d mismatches" % (len(routes), len(ops), bad))
sys.exit(1 if bad else 0)
EOF
RC=$?
sed 's/^/# /' "$TMP/routes.out"
eq "every route of api_routes[] is in the document and vice versa, flags agreeing" 0 "$RC"

check "every \$ref of the document resolves" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
def refs(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(o, list):
        for v in o:
            yield from refs(v)
bad = []
for r in set(refs(d)):
    node = d
    try:
        assert r.startswith("#/")
        for part in r[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    except (AssertionError, KeyError, TypeError):
        bad.append(r)
if bad:
    sys.exit("unresolved: " + " ".join(sorted(bad)))' "$TMP/openapi.json"

# Public GETs without parameters are routed as documented and answer
# (a 2xx, or a redirect for the console's bare paths; never
# a 404, a 500 or no answer).
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for path, item in sorted(d["paths"].items()):
    op = item.get("get")
    if op is not None and "{" not in path and op.get("security", d.get("security")) == [] \
       and not op.get("x-esignd-unix-only"):
        print(path)' "$TMP/openapi.json" >"$TMP/public"
check "the document names public GETs (health, metrics, openapi.json)" \
	grep -qx /v1/openapi.json "$TMP/public"
while read -r p; do
	c=$(https_code "$p")
	case $c in 2?? | 30[1-8]) good=1 ;; *) good= ;; esac
	if [ -n "$good" ]; then
		ok "public GET $p is routed (it answers $c)"
	else
		not_ok "public GET $p is routed (it answers $c)"
	fi
done <"$TMP/public"

# tests/README.md describes every integration script that meson runs.
undocumented=$(for t in $(grep -o "'t_[a-z_]*'" "$SRC/tests/meson.build" | tr -d "'"); do
	grep -q "^| \`$t.sh\` |" "$SRC/tests/README.md" || echo "$t"
done)
eq "tests/README.md describes every integration test" "" "$undocumented"

finish
