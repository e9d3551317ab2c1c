-- SQL object and collection types for the pipelined functions of
-- MSGRAPH_M365 (run by install.sql before the package; dropped by
-- uninstall.sql). SQL types, not package types: a pipelined function
-- called from SQL returns rows of schema-level types.
-- Minimum release: 12.2 (with MSGRAPH_M365 / MSGRAPH_SYNC; install.sql skips
-- it below that).

create or replace type msgraph_secret_row force as object (
  app_object_id    varchar2(64),    -- the application object's id (/applications/{id})
  app_id           varchar2(64),    -- the client id
  app_name         varchar2(1024),  -- 256 characters of up to 4 bytes (AL32UTF8)
  credential_type  varchar2(16),    -- 'Password' (client secret) or 'Certificate'
  key_id           varchar2(64),
  credential_name  varchar2(1024),  -- the credential's displayName (256 characters of 4 bytes)
  hint             varchar2(16),    -- first characters of a secret (never the secret)
  start_date_time  timestamp,       -- UTC
  end_date_time    timestamp,       -- UTC
  days_left        number,          -- whole days from now to the end, negative when expired
  status           varchar2(16)     -- 'Expired' or 'Expiring'
);
/
create or replace type msgraph_secret_tab force as table of msgraph_secret_row;
/

create or replace type msgraph_access_row force as object (
  check_name   varchar2(32),     -- 'mailboxSettings', 'calendar'
  resource_url varchar2(1000),   -- the Graph URL probed
  http_status  number,           -- Graph's status, or the library's negative status
  verdict      varchar2(16),     -- 'Granted', 'Denied' or 'Error'
  reason       varchar2(4000),   -- why, in words, with Graph's code and message
  error_code   varchar2(100),    -- Graph's error code (ErrorAccessDenied ...)
  request_id   varchar2(512)     -- Graph's request-id (quote it to Microsoft support); as msgraph.g_request_id
);
/
create or replace type msgraph_access_tab force as table of msgraph_access_row;
/
