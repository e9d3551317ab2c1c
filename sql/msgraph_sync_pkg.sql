-- Called by install.sql (Oracle 18 and later): the MSGRAPH_SYNC package
-- (after sync_schema.sql).
-- Minimum release: 18 (JSON_TABLE columns returning CLOB)
prompt Creating package MSGRAPH_SYNC
set define off
@@msgraph_sync.pks
show errors package msgraph_sync
@@msgraph_sync.pkb
show errors package body msgraph_sync
set define on
