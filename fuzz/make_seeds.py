#!/usr/bin/env python3
"""Seeds each fuzz target's corpus (fuzz/corpus/<target>/) from the test
suite: the raw-string JSON literals of src/ and tests/ (credential
configurations, options, Graph bodies), the URLs, Retry-After values and
tokens the tests use. Idempotent (file names are content hashes).

  python3 fuzz/make_seeds.py [CORPUS_DIR]
"""
import hashlib
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "fuzz", "corpus")

literals = set()
for d in ("src", "tests", "emulator/tests"):
    for dp, _, files in os.walk(os.path.join(root, d)):
        for f in files:
            if f.endswith((".rs", ".c")):
                text = open(os.path.join(dp, f), encoding="utf-8", errors="replace").read()
                literals.update(re.findall(r'r#"(.*?)"#', text, re.S))
json_lits = sorted(l for l in literals if l.lstrip().startswith(("{", "[")))

configs = [l for l in json_lits if "tenant_id" in l] + [
    '{"tenant_id":"t","client_id":"c","client_secret":"s","graph_base_url":"http://127.0.0.1:8400/v1.0","authority_host":"http://127.0.0.1:8400"}',
    '{"tenant_id":"t","client_id":"c","client_secret_env":"X","cloud":"usgov","timeout_ms":"500","proxy":"socks5://127.0.0.1:1080"}',
    '{"tenant_id":"t","client_id":"c","client_secret":"s","token_url":"http://[::1]:9/t/oauth2/v2.0/token","ca_file":"/etc/ssl/certs/ca.pem"}',
]
options = [l for l in json_lits if any(k in l for k in ("all_pages", "headers", "max_", "timeout", "concurrency", "token"))]
bodies = [l for l in json_lits if '"value"' in l or '"error"' in l] + [
    '{"@odata.context":"http://127.0.0.1/v1.0/$metadata#users","value":[{"id":"1","displayName":"Zo\\u00eb"},{"id":"2"}],"@odata.nextLink":"http://127.0.0.1/v1.0/users?$skiptoken=x"}',
    '{"value":[1,"a",null,{"a":[]}],"@odata.deltaLink":"http://127.0.0.1/v1.0/users/delta?$deltatoken=x"}',
    '{"value":[],"@odata.nextLink":"https://evil.example.com/v1.0/users"}',
]
batches = [
    '[{"id":"1","method":"GET","url":"/users"},{"id":"2","method":"GET","url":"/users/x/mailboxSettings","dependsOn":["1"]}]',
    '{"requests":[{"method":"POST","url":"/users","body":{"a":1},"headers":{"Content-Type":"application/json"}}]}',
    '[{"method":"GET","url":"https://graph.microsoft.com/v1.0/me"}]',
]
urls = ["/users", "users?$top=5", "/users/zoe.mueller@contoso.onmicrosoft.com/mailboxSettings",
        "https://graph.microsoft.com/v1.0/users?$skiptoken=abc", "//graph.microsoft.com/v1.0/users",
        "https://evil.example.com/v1.0/users", "/../../x", "https://graph.microsoft.com:443/beta/users",
        "https://user:pw@graph.microsoft.com/v1.0/users", "/users/%2e%2e/x", "HTTPS://GRAPH.MICROSOFT.COM/v1.0/",
        "ftp://graph.microsoft.com/", "@evil.example.com/users", "\\\\evil.example.com\\users", "/users#frag"]
retry = ["1", "0.2", "0.734", "120", "Sun, 06 Nov 1994 08:49:37 GMT", "Wed, 21 Oct 2099 07:28:00 GMT",
         "3600.5", "Sun, 06 Nov 99999 08:49:37 GMT", "1e3", "-1", "", " 5 ", ".", "99999999999999999999"]
jwts = ["eyJhbGciOiJub25lIn0.eyJyb2xlcyI6WyJVc2VyLlJlYWQuQWxsIl0sInRpZCI6InQifQ.c2ln", "not-a-jwt", "a.b!.c",
        "TWFu", "TWE", "TQ=="]
methods = ["GET", "post", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]


def put(target, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


for c in configs:
    put("config", c)
for o in options:
    put("options", o)
for u in urls:
    put("resolve", u)
for r in retry:
    put("retry_after", r)
for j in jwts:
    put("jwt_claims", j)
for b in bodies:
    put("paging", b)
    put("result_read", b"\x03\x00/v" + b"request-id: 1\x00" + b.encode())
    for pointer in ("", "/value", "/value/0", "/value/0/id", "/@odata.nextLink", "/error/code"):
        put("json_pointer", pointer + "\n" + b)
# ffi_strings: name \0 config \0 method \0 url \0 body \0 options
for i, u in enumerate(urls + [b for b in batches]):
    put("ffi_strings", "\0".join(["c%d" % i, configs[i % len(configs)], methods[i % len(methods)], u,
                                   bodies[i % len(bodies)], options[i % len(options)] if options else ""]))
# answers: a path selector byte, then a raw HTTP answer (Graph bodies, and
# token answers for path 0 / selector bit 0x80).
token_bodies = ['{"token_type":"Bearer","expires_in":3599,"access_token":"a"}',
                '{"token_type":"Bearer","expires_in":9.3e18,"access_token":"a"}',
                '{"error":"invalid_client","error_codes":[7000215]}']
for i, b in enumerate(bodies[:40] + token_bodies):
    for status in ("200 OK", "410 Gone", "429 Too Many Requests", "503 Service Unavailable"):
        raw = "HTTP/1.1 %s\r\ncontent-type: application/json\r\nretry-after: 1\r\ncontent-length: %d\r\n\r\n%s" % (
            status, len(b.encode()), b)
        put("answers", bytes([i % 5 | (0x80 if b in token_bodies else 0)]) + raw.encode())
print("seeded", corpus)
