"""Microsoft's own Python clients against the emulator (issue 12).

Usage: python clients.py CREDENTIALS_JSON
CREDENTIALS_JSON is the emulator's --credentials-out file (TLS mode: it names
the CA). Prints one "ok <check>" line per check; exits non-zero on the first
failure. Run by emulator/tests/conformance.rs.
"""
import asyncio
import json
import os
import ssl
import sys
import uuid

cfg = json.load(open(sys.argv[1]))["emulator"]
CA = cfg["ca_file"]
# requests (msal, azure-core) and httpx read these
os.environ["REQUESTS_CA_BUNDLE"] = CA
os.environ["SSL_CERT_FILE"] = CA
for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(k, None)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

AUTH = cfg["authority_host"]
TENANT = cfg["tenant_id"]
CID = cfg["client_id"]
SECRET = cfg["client_secret"]
GRAPH = cfg["graph_base_url"]
SCOPE = ["https://graph.microsoft.com/.default"]
KEY_PEM = open(cfg["private_key_file"]).read()
CERT_PEM = open(cfg["certificate_file"]).read()


def ok(name):
    print("ok", name, flush=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


# ---- MSAL --------------------------------------------------------------------
import msal

authority = f"{AUTH}/{TENANT}"
app = msal.ConfidentialClientApplication(CID, client_credential=SECRET, authority=authority, validate_authority=False, instance_discovery=False)
r = app.acquire_token_for_client(scopes=SCOPE)
check("access_token" in r, f"msal secret: {r}")
ok("msal client secret")
r2 = app.acquire_token_for_client(scopes=SCOPE)
check(r2.get("token_source") == "cache", f"msal cache: {r2.get('token_source')}")
ok("msal token cache")

# MSAL pads the base64url x5t it derives from the hex thumbprint.
app_cert = msal.ConfidentialClientApplication(
    CID, client_credential={"private_key": KEY_PEM, "thumbprint": cfg["certificate_thumbprint"]}, authority=authority, validate_authority=False, instance_discovery=False
)
r = app_cert.acquire_token_for_client(scopes=SCOPE)
check("access_token" in r, f"msal certificate (SHA-1 x5t): {r}")
ok("msal certificate (x5t)")
app_cert2 = msal.ConfidentialClientApplication(
    CID, client_credential={"private_key": KEY_PEM, "public_certificate": CERT_PEM, "thumbprint": cfg["certificate_thumbprint"]}, authority=authority, validate_authority=False, instance_discovery=False
)
r = app_cert2.acquire_token_for_client(scopes=SCOPE)
check("access_token" in r, f"msal certificate with x5c: {r}")
ok("msal certificate (x5c)")

bad = msal.ConfidentialClientApplication(CID, client_credential="wrong", authority=authority, validate_authority=False, instance_discovery=False)
r = bad.acquire_token_for_client(scopes=SCOPE)
check(r.get("error") == "invalid_client" and 7000215 in r.get("error_codes", []), f"msal bad secret: {r}")
ok("msal wrong secret -> invalid_client AADSTS7000215")

try:
    other = msal.ConfidentialClientApplication(CID, client_credential=SECRET, authority=f"{AUTH}/no-such-tenant.example", validate_authority=False, instance_discovery=False)
    r = other.acquire_token_for_client(scopes=SCOPE)
    check("access_token" not in r, f"unknown tenant issued a token: {r}")
except ValueError as e:  # MSAL raises on a failed OIDC discovery
    check("Unable to get authority configuration" in str(e), f"unknown tenant: {e}")
ok("msal unknown tenant refused")

# ---- azure-identity ----------------------------------------------------------
from azure.identity import CertificateCredential, ClientSecretCredential

cred = ClientSecretCredential(TENANT, CID, SECRET, authority=AUTH, disable_instance_discovery=True)
t = cred.get_token(*SCOPE)
check(t.token.count(".") == 2 and t.expires_on > 0, "azure-identity secret")
ok("azure-identity ClientSecretCredential")
pem = (KEY_PEM + "\n" + CERT_PEM).encode()
ccred = CertificateCredential(TENANT, CID, certificate_data=pem, authority=AUTH, disable_instance_discovery=True)
t = ccred.get_token(*SCOPE)
check(t.token.count(".") == 2, "azure-identity certificate")
ok("azure-identity CertificateCredential")

# ---- msgraph-sdk -------------------------------------------------------------
import httpx
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.user import User
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory, PageIterator
from azure.identity.aio import ClientSecretCredential as AioSecret


async def sdk():
    acred = AioSecret(TENANT, CID, SECRET, authority=AUTH, disable_instance_discovery=True)
    auth = AzureIdentityAuthenticationProvider(acred, scopes=SCOPE, allowed_hosts=["127.0.0.1"])
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=ssl.create_default_context(cafile=CA), http2=True))
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = GRAPH
    client = GraphServiceClient(request_adapter=adapter)

    # reads and paging
    q = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=7, select=["id", "displayName", "userPrincipalName"])
    page = await client.users.get(request_configuration=UsersRequestBuilder.UsersRequestBuilderGetRequestConfiguration(query_parameters=q))
    check(len(page.value) == 7 and page.odata_next_link, "users first page")
    ids = []

    def collect(u):
        ids.append(u.id)
        return True

    it = PageIterator(page, adapter)
    await it.iterate(collect)
    check(len(ids) > 7 and len(set(ids)) == len(ids), f"PageIterator: {len(ids)} users, {len(set(ids))} distinct")
    ok(f"msgraph-sdk users + PageIterator ({len(ids)} users)")

    uid = ids[1]
    u = await client.users.by_user_id(uid).get()
    check(u.id == uid and u.display_name, "get user")
    ok("msgraph-sdk get user")

    # writes: PATCH carries @odata.type
    await client.users.by_user_id(uid).patch(User(job_title="Conformance tester"))
    u = await client.users.by_user_id(uid).get()
    check(u.job_title == "Conformance tester", f"patched jobTitle: {u.job_title}")
    ok("msgraph-sdk PATCH user (with @odata.type)")

    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.email_address import EmailAddress
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.recipient import Recipient
    from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody

    to = (await client.users.by_user_id(ids[2]).get()).user_principal_name
    body = SendMailPostRequestBody(
        message=Message(subject="conformance", body=ItemBody(content_type=BodyType.Text, content="hello"), to_recipients=[Recipient(email_address=EmailAddress(address=to))]),
        save_to_sent_items=False,
    )
    await client.users.by_user_id(uid).send_mail.post(body)
    ok("msgraph-sdk sendMail (Message/SaveToSentItems casing)")

    # messages read with Prefer-less defaults
    msgs = await client.users.by_user_id(uid).messages.get()
    check(msgs.value is not None, "messages")
    ok(f"msgraph-sdk messages ({len(msgs.value)} on first page)")

    # delta rounds
    d = await client.users.delta.get()
    seen = len(d.value)
    while d.odata_next_link:
        d = await client.users.delta.with_url(d.odata_next_link).get()
        seen += len(d.value)
    check(d.odata_delta_link and seen >= len(ids), f"delta round 1: {seen}")
    await client.users.by_user_id(uid).patch(User(job_title="Changed again"))
    d2 = await client.users.delta.with_url(d.odata_delta_link).get()
    changed = [x.id for x in d2.value]
    while d2.odata_next_link:
        d2 = await client.users.delta.with_url(d2.odata_next_link).get()
        changed += [x.id for x in d2.value]
    check(uid in changed, f"delta round 2 lists the changed user: {changed[:5]}")
    ok(f"msgraph-sdk users delta (round 1: {seen}, round 2: {len(changed)} changed)")

    # errors deserialized to ODataError
    try:
        await client.users.by_user_id("nobody@" + "contoso.onmicrosoft.com").get()
        check(False, "missing user returned")
    except ODataError as e:
        check(e.response_status_code == 404 and e.error.code == "Request_ResourceNotFound", f"ODataError: {e.response_status_code} {e.error.code}")
    ok("msgraph-sdk 404 -> ODataError Request_ResourceNotFound")
    try:
        await client.users.with_url(GRAPH + "/users?$filter=accountEnabled ne true").get()
        check(False, "ne without advanced query accepted")
    except ODataError as e:
        check(e.response_status_code == 400 and e.error.code == "Request_UnsupportedQuery", f"{e.response_status_code} {e.error.code}")
    ok("msgraph-sdk ne without ConsistencyLevel -> ODataError Request_UnsupportedQuery")

    # $batch through the SDK's batch helpers
    from msgraph_core.requests.batch_request_content import BatchRequestContent
    from msgraph_core.requests.batch_request_item import BatchRequestItem

    items = [BatchRequestItem(request_information=client.users.by_user_id(i).to_get_request_information()) for i in ids[:3]]
    items.append(BatchRequestItem(request_information=client.users.by_user_id("nobody@contoso.onmicrosoft.com").to_get_request_information()))
    content = BatchRequestContent({it.id: it for it in items})
    resp = await client.batch.post(content)
    statuses = sorted(r.status for r in resp.responses.values()) if isinstance(resp.responses, dict) else sorted(r.status for r in resp.responses)
    check(statuses == [200, 200, 200, 404], f"batch statuses {statuses}")
    ok("msgraph-sdk $batch (3 x 200, 1 x 404)")
    await acred.close()


asyncio.run(sdk())
print("all conformance checks passed")
