-- Minimum release: 12.2 (uses the companion packages)
-- The Test-ApplicationAccessPolicy analog: may this application read the
-- mailbox? One row per probe (mailboxSettings, calendar) with the verdict
-- and the reason (an application access policy, a missing permission, no
-- such mailbox), then the overall AccessCheckResult.
exec msgraph.set_default_credential('graph')

select check_name, verdict, http_status, reason, request_id
  from table(msgraph_m365.test_access('adele.vance@contoso.com'));

select msgraph_m365.access_check_result('adele.vance@contoso.com') access_check_result from dual;

-- Every user of a group, checked (e.g. after New-ApplicationAccessPolicy):
select u.upn, msgraph_m365.access_check_result(u.upn) result
  from json_table(msgraph.get_all('/groups/00000000-0000-0000-0000-000000000000/members?$select=userPrincipalName'),
                  '$.value[*]' columns (upn varchar2(320) path '$.userPrincipalName')) u;
