create or replace package msgraph_m365 authid definer as
  /*
   * Minimum release: 12.2 (JSON_OBJECT_T, JSON_TABLE); install.sql skips
   * it below that (sql/README.md: release matrix).
   * MSGRAPH_M365: Microsoft 365 tasks from PL/SQL on top of MSGRAPH (mail,
   * application secrets, access checks, calendar, contacts, To Do, mailbox
   * settings, SharePoint lists). Pure PL/SQL: every call goes through
   * MSGRAPH, so the credential rules, errors (ORA-20001 .. ORA-20099) and
   * globals (msgraph.g_status_code ...) are MSGRAPH's. The DBA guide is
   * sql/README.md; worked examples are in sql/examples/.
   *
   * p_user: a user's id or userPrincipalName (URL-encoded here).
   * p_credential: NULL means msgraph.set_default_credential's.
   * Times are TIMESTAMPs in the time zone p_time_zone names (a Windows or
   * IANA name Graph knows; default 'UTC').
   *
   * Credentials stay the caller's: MSGRAPH names them by SESSION_USER, so
   * EXECUTE on MSGRAPH_M365 lends no other schema's credential.
   */

  -- A file attachment: name, MIME type and the bytes.
  type t_attachment is record (
    name         varchar2(1020),   -- 255 characters of 4 bytes
    content_type varchar2(255),
    content      blob);
  type t_attachments is table of t_attachment;

  ------------------------------------------------------------------- mail
  -- Sends a message as p_from (Mail.Send). p_to, p_cc, p_bcc: addresses
  -- separated by ',' or ';', each 'address' or 'Display Name <address>'.
  -- p_body_type 'HTML' or 'Text'. Attachments are base64-encoded from the
  -- BLOBs (the whole request, bodies and attachments, may exceed 32 KB:
  -- MSGRAPH uploads it in chunks; Graph's limit for sendMail is about
  -- 4 MB of JSON, so about 3 MB of attachments). Raises like msgraph.post.
  procedure send_mail(
    p_from               in varchar2,
    p_to                 in varchar2,
    p_subject            in varchar2,
    p_body               in clob,
    p_body_type          in varchar2      default 'HTML',
    p_cc                 in varchar2      default null,
    p_bcc                in varchar2      default null,
    p_attachments        in t_attachments default null,
    p_save_to_sent_items in boolean       default true,
    p_credential         in varchar2      default null);

  -- The sendMail request body send_mail posts (for $batch or inspection).
  function mail_json(
    p_to                 in varchar2,
    p_subject            in varchar2,
    p_body               in clob,
    p_body_type          in varchar2      default 'HTML',
    p_cc                 in varchar2      default null,
    p_bcc                in varchar2      default null,
    p_attachments        in t_attachments default null,
    p_save_to_sent_items in boolean       default true) return clob;

  -- A BLOB as base64 without line breaks (UTL_ENCODE in chunks of 23808
  -- bytes, a multiple of 3, so no padding inside).
  function base64(p_blob in blob) return clob;

  -- A JSON string literal (quotes included) of p_text; 'null' for NULL.
  function json_string(p_text in varchar2) return varchar2;

  ---------------------------------------------------- application secrets
  -- Client secrets and certificates of every application in the tenant
  -- (Application.Read.All) that end within p_days from now, expired ones
  -- included (status 'Expired', negative days_left), soonest first.
  --   select * from table(msgraph_m365.expiring_secrets(30));
  function expiring_secrets(
    p_days       in number   default 30,
    p_credential in varchar2 default null) return msgraph_secret_tab pipelined;

  -- Mails an HTML table of expiring_secrets(p_days) from p_from to p_to
  -- when there is at least one; returns how many were listed. For a
  -- DBMS_SCHEDULER job (sql/examples/secrets_job.sql).
  function mail_expiring_secrets(
    p_from       in varchar2,
    p_to         in varchar2,
    p_days       in number   default 10,
    p_credential in varchar2 default null) return pls_integer;

  -------------------------------------------------------------- access
  -- Test-ApplicationAccessPolicy for this application: reads p_user's
  -- mailboxSettings and calendar with the app's own permissions, one row
  -- per probe with the verdict ('Granted', 'Denied', 'Error') and why
  -- (an application access policy, a missing permission, no mailbox).
  --   select * from table(msgraph_m365.test_access('adele@contoso.com'));
  function test_access(
    p_user       in varchar2,
    p_credential in varchar2 default null) return msgraph_access_tab pipelined;

  -- The AccessCheckResult: 'Granted' when every probe was granted,
  -- 'Denied' when one was denied, else 'Error'.
  function access_check_result(
    p_user       in varchar2,
    p_credential in varchar2 default null) return varchar2;

  ------------------------------------------------------------- calendar
  -- Creates an event in p_user's default calendar; returns its id.
  -- p_attendees: addresses as for send_mail (required attendees).
  function create_event(
    p_user       in varchar2,
    p_subject    in varchar2,
    p_start      in timestamp,
    p_end        in timestamp,
    p_time_zone  in varchar2 default 'UTC',
    p_body       in clob     default null,
    p_body_type  in varchar2 default 'HTML',
    p_location   in varchar2 default null,
    p_attendees  in varchar2 default null,
    p_credential in varchar2 default null) return varchar2;

  -- Every event occurring between p_start and p_end (calendarView: single
  -- occurrences, exceptions and instances of series) as {"value":[...]},
  -- times in p_time_zone (Prefer: outlook.timezone).
  function calendar_view(
    p_user       in varchar2,
    p_start      in timestamp,
    p_end        in timestamp,
    p_time_zone  in varchar2 default 'UTC',
    p_credential in varchar2 default null) return clob;

  procedure delete_event(
    p_user in varchar2, p_event_id in varchar2, p_credential in varchar2 default null);

  ------------------------------------------------------------- contacts
  -- Creates a contact in p_user's default contacts folder; returns its id.
  function create_contact(
    p_user         in varchar2,
    p_given_name   in varchar2,
    p_surname      in varchar2,
    p_email        in varchar2 default null,
    p_company      in varchar2 default null,
    p_mobile_phone in varchar2 default null,
    p_credential   in varchar2 default null) return varchar2;

  -- All of p_user's contacts as {"value":[...]}.
  function contacts(p_user in varchar2, p_credential in varchar2 default null) return clob;

  ---------------------------------------------------------------- To Do
  -- p_user's To Do lists as {"value":[...]}.
  function todo_lists(p_user in varchar2, p_credential in varchar2 default null) return clob;

  -- The id of p_user's To Do list named p_display_name (NULL: the default
  -- list, wellknownListName 'defaultList'); raises e_not_found without one.
  function todo_list_id(
    p_user in varchar2, p_display_name in varchar2 default null,
    p_credential in varchar2 default null) return varchar2;

  -- Creates a task; returns its id. p_importance: 'low', 'normal', 'high'.
  function create_task(
    p_user       in varchar2,
    p_list_id    in varchar2,
    p_title      in varchar2,
    p_due        in timestamp default null,
    p_time_zone  in varchar2  default 'UTC',
    p_body       in clob      default null,
    p_importance in varchar2  default 'normal',
    p_credential in varchar2  default null) return varchar2;

  procedure complete_task(
    p_user in varchar2, p_list_id in varchar2, p_task_id in varchar2,
    p_credential in varchar2 default null);

  -- The tasks of a list as {"value":[...]}.
  function tasks(
    p_user in varchar2, p_list_id in varchar2, p_credential in varchar2 default null) return clob;

  ----------------------------------------------------- mailbox settings
  -- p_user's mailboxSettings (time zone, language, working hours,
  -- automaticRepliesSetting ...).
  function mailbox_settings(p_user in varchar2, p_credential in varchar2 default null) return clob;

  -- Sets automatic replies (out of office). p_status: 'disabled',
  -- 'alwaysEnabled' or 'scheduled' (then p_start and p_end, in
  -- p_time_zone); p_external_audience: 'none', 'contactsOnly', 'all'.
  -- NULL replies leave the current text as it is.
  procedure set_automatic_replies(
    p_user              in varchar2,
    p_status            in varchar2,
    p_internal_reply    in varchar2  default null,
    p_external_reply    in varchar2  default null,
    p_start             in timestamp default null,
    p_end               in timestamp default null,
    p_time_zone         in varchar2  default 'UTC',
    p_external_audience in varchar2  default null,
    p_credential        in varchar2  default null);

  ----------------------------------------------------------- SharePoint
  -- The items of a SharePoint list with their fields ($expand=fields) as
  -- {"value":[...]}; p_list: the list's id or display name; p_site_id:
  -- a site id ('root' for the root site). p_filter: an OData $filter on
  -- fields (e.g. q'[fields/Status eq 'Open']'), NULL for every item.
  function list_items(
    p_site_id    in varchar2,
    p_list       in varchar2,
    p_filter     in varchar2 default null,
    p_max_items  in pls_integer default 100000,
    p_credential in varchar2 default null) return clob;

  ------------------------------------------------------------- helpers
  -- A path segment, percent-encoded as UTF-8 ('#EXT#' in guest UPNs ...).
  function url_segment(p_text in varchar2) return varchar2;
  -- A TIMESTAMP as Graph's dateTime text 'YYYY-MM-DDTHH24:MI:SS'.
  function graph_datetime(p_time in timestamp) return varchar2;
  -- Graph's ISO 8601 text ('2026-01-05T10:00:00Z', '...00.1234567Z',
  -- '...00.0000000') as a TIMESTAMP (UTC when it carries no offset).
  function to_utc(p_text in varchar2) return timestamp;
end msgraph_m365;
/
