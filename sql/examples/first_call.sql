-- Minimum release: 12.1 (JSON_TABLE, 12.1.0.2)
-- The setup guide's check (sql/README.md, step 7): token claims, then users
-- listed with JSON_TABLE. Run as a user with EXECUTE on MSGRAPH, after the
-- DBA has put the credential "graph" into MSGRAPH_CREDENTIALS_FILE (or
-- replace the load with msgraph.create_credential).
set serveroutput on size unlimited
set long 100000 longchunksize 100000 linesize 200 pagesize 100

begin
  msgraph.load_credentials;            -- MSGRAPH_CREDENTIALS_FILE of extproc.ora
  msgraph.set_default_credential('graph');
  dbms_output.put_line('libmsgraph ' || msgraph.version);
end;
/

-- 1. The application's token: who Entra ID says we are, and which roles.
select jt.*
  from json_table(msgraph.token_claims, '$'
         columns (source      varchar2(20)  path '$.source',
                  app_name    varchar2(200) path '$.claims.app_displayname',
                  app_id      varchar2(40)  path '$.claims.appid',
                  tenant      varchar2(40)  path '$.claims.tid',
                  expires_in  number        path '$.expires_in',
                  nested path '$.claims.roles[*]' columns (role varchar2(100) path '$'))) jt;

-- 2. Users, every page, with non-ASCII names intact (AL32UTF8 database).
select u.display_name, u.upn, u.mail
  from json_table(msgraph.get_all('/users?$select=id,displayName,userPrincipalName,mail&$top=50'),
                  '$.value[*]'
         columns (display_name varchar2(200) path '$.displayName',
                  upn          varchar2(200) path '$.userPrincipalName',
                  mail         varchar2(200) path '$.mail')) u
 order by u.display_name;

-- 3. What a failure looks like: a named exception with Graph's code and request-id.
declare
  l_body clob;
begin
  l_body := msgraph.get('/users/00000000-0000-0000-0000-000000000000');
exception
  when msgraph.e_not_found then
    dbms_output.put_line('not found as expected: ' || sqlerrm);
    dbms_output.put_line('request-id: ' || msgraph.g_request_id);
end;
/
