-- Minimum release: 12.1 (JSON_TABLE, 12.1.0.2)
-- Users and groups as rows with JSON_TABLE over msgraph.get_all (every
-- page). Needs User.Read.All and Group.Read.All.
set define off
exec msgraph.set_default_credential('graph')

-- Enabled users of a department, with the fields a directory extract needs.
select u.*
  from json_table(
         msgraph.get_all('/users?$select=id,displayName,userPrincipalName,mail,department,jobTitle,accountEnabled'
                         || q'[&$filter=accountEnabled eq true]' || '&$top=999'),
         '$.value[*]'
         columns (id           varchar2(64)  path '$.id',
                  display_name varchar2(256) path '$.displayName',
                  upn          varchar2(320) path '$.userPrincipalName',
                  mail         varchar2(320) path '$.mail',
                  department   varchar2(128) path '$.department',
                  job_title    varchar2(128) path '$.jobTitle')) u
 order by u.display_name;

-- Groups and their members, one row per membership.
with grps as (
  select g.*
    from json_table(msgraph.get_all('/groups?$select=id,displayName'), '$.value[*]'
           columns (group_id varchar2(64) path '$.id', group_name varchar2(256) path '$.displayName')) g)
select grps.group_name, m.display_name, m.upn
  from grps,
       json_table(msgraph.get_all('/groups/' || grps.group_id || '/members?$select=displayName,userPrincipalName'),
                  '$.value[*]'
                  columns (display_name varchar2(256) path '$.displayName',
                           upn          varchar2(320) path '$.userPrincipalName')) m
 order by 1, 2;

-- Advanced queries ($search, $count, endswith) need ConsistencyLevel: eventual.
select msgraph.get('/users?$count=true&$search="displayName:müller"&$select=displayName',
                   p_options => '{"headers":{"ConsistencyLevel":"eventual"}}') from dual;
