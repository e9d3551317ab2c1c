#!/usr/bin/env python3
"""The Python reference for the warm-call figure (tools/bench.sh runs it).

A requests.Session (keep-alive, as libmsgraph's pool) with a token from
MSAL's ConfidentialClientApplication, authority = the emulator's
authority_host/tenant. MSAL accepts only https authorities, so with a plain
http emulator the token comes from a plain POST to the token endpoint
(--token post) and MSAL is used with the TLS emulator (--token msal).

  bench_py.py CREDS N PATH [--token msal|post]
"""
import json
import sys
import time

import requests


def main():
    creds_path, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    how = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--token" else "msal"
    cfg = json.load(open(creds_path))["emulator"]
    verify = cfg.get("ca_file", True)
    session = requests.Session()
    session.verify = verify
    # REQUESTS_CA_BUNDLE in the environment would override session.verify
    # (and proxy lookups per request would slow it): best case for Python.
    session.trust_env = False
    authority = cfg["authority_host"].rstrip("/") + "/" + cfg["tenant_id"]
    t0 = time.perf_counter()
    if how == "msal":
        import msal

        app = msal.ConfidentialClientApplication(
            cfg["client_id"],
            client_credential=cfg["client_secret"],
            authority=authority,
            validate_authority=False,
            instance_discovery=False,
            http_client=session,
            verify=verify,
        )
        res = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        if "access_token" not in res:
            sys.exit("MSAL: %s" % res)
        token = res["access_token"]
        # MSAL's own cache: a second acquire must not go to the endpoint.
        again = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        assert again.get("token_source") in (None, "cache"), again.get("token_source")
    else:
        r = session.post(
            authority + "/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": cfg["client_id"],
                "client_secret": cfg["client_secret"],
                "scope": "https://graph.microsoft.com/.default",
            },
        )
        r.raise_for_status()
        token = r.json()["access_token"]
    token_s = time.perf_counter() - t0
    url = cfg["graph_base_url"].rstrip("/") + path
    headers = {"Authorization": "Bearer " + token, "client-request-id": "4f0c2a57-9d4e-4b1a-8c3f-2e6d7b9a1c05"}
    r = session.get(url, headers=headers)
    r.raise_for_status()
    t0 = time.perf_counter()
    for _ in range(n):
        r = session.get(url, headers=headers)
        if r.status_code != 200:
            sys.exit("GET %s: %s" % (r.status_code, r.text))
        r.content
    dt = time.perf_counter() - t0
    print(json.dumps({"client": "python requests (" + ("MSAL token" if how == "msal" else "token by POST") + ")",
                      "calls": n, "seconds": round(dt, 6), "us_per_call": round(dt * 1e6 / n, 2),
                      "first_token_ms": round(token_s * 1e3, 3)}))


if __name__ == "__main__":
    main()
