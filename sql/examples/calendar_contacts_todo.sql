-- Minimum release: 12.2 (uses the companion packages)
-- Calendar events, contacts, To Do tasks, mailbox settings and SharePoint
-- list items for one user with application permissions (Calendars.ReadWrite,
-- Contacts.ReadWrite, Tasks.ReadWrite.All, MailboxSettings.ReadWrite,
-- Sites.Read.All).
set serveroutput on size unlimited
exec msgraph.set_default_credential('graph')

declare
  l_user    varchar2(100) := 'zoe.mueller@contoso.com';
  l_event   varchar2(512);
  l_contact varchar2(512);
  l_list    varchar2(512);
  l_task    varchar2(512);
begin
  l_event := msgraph_m365.create_event(
    p_user => l_user, p_subject => 'Quartalsplanung',
    p_start => timestamp '2026-03-02 09:00:00', p_end => timestamp '2026-03-02 10:30:00',
    p_time_zone => 'W. Europe Standard Time', p_body => '<p>Agenda folgt.</p>',
    p_location => 'Raum München', p_attendees => 'jose.nunez@contoso.com, Adele <adele.vance@contoso.com>');
  dbms_output.put_line('event ' || l_event);

  l_contact := msgraph_m365.create_contact(l_user, 'Søren', 'Ærø', 'soren.aero@fabrikam.dk', 'Fabrikam A/S');
  dbms_output.put_line('contact ' || l_contact);

  l_list := msgraph_m365.todo_list_id(l_user);                 -- the default list ("Tasks")
  l_task := msgraph_m365.create_task(l_user, l_list, 'Bericht prüfen',
                                     p_due => timestamp '2026-03-06 12:00:00', p_importance => 'high');
  msgraph_m365.complete_task(l_user, l_list, l_task);

  msgraph_m365.set_automatic_replies(l_user, 'scheduled',
    p_internal_reply => 'Ich bin bis Montag im Urlaub.',
    p_external_reply => 'I am out of office until Monday.',
    p_start => timestamp '2026-03-09 00:00:00', p_end => timestamp '2026-03-16 00:00:00',
    p_time_zone => 'W. Europe Standard Time', p_external_audience => 'contactsOnly');
end;
/

-- The week's events as rows (calendarView: occurrences of series included).
select e.*
  from json_table(msgraph_m365.calendar_view('zoe.mueller@contoso.com',
                    timestamp '2026-03-02 00:00:00', timestamp '2026-03-09 00:00:00',
                    'W. Europe Standard Time'),
         '$.value[*]'
         columns (subject   varchar2(400) path '$.subject',
                  starts    varchar2(40)  path '$.start.dateTime',
                  ends      varchar2(40)  path '$.end.dateTime',
                  location  varchar2(200) path '$.location.displayName',
                  organizer varchar2(320) path '$.organizer.emailAddress.address')) e
 order by e.starts;

select c.*
  from json_table(msgraph_m365.contacts('zoe.mueller@contoso.com'), '$.value[*]'
         columns (display_name varchar2(256) path '$.displayName',
                  email        varchar2(320) path '$.emailAddresses[0].address',
                  company      varchar2(256) path '$.companyName')) c;

select t.*
  from json_table(msgraph_m365.tasks('zoe.mueller@contoso.com',
                    msgraph_m365.todo_list_id('zoe.mueller@contoso.com')), '$.value[*]'
         columns (title  varchar2(400) path '$.title',
                  status varchar2(32)  path '$.status',
                  due    varchar2(40)  path '$.dueDateTime.dateTime')) t;

select s.*
  from json_table(msgraph_m365.mailbox_settings('zoe.mueller@contoso.com'), '$'
         columns (time_zone  varchar2(100) path '$.timeZone',
                  ooo_status varchar2(20)  path '$.automaticRepliesSetting.status',
                  ooo_text   varchar2(4000) path '$.automaticRepliesSetting.internalReplyMessage')) s;

-- SharePoint list items with their fields (the column names are the list's).
select i.*
  from json_table(msgraph_m365.list_items('root', 'Inventory'), '$.value[*]'
         columns (item_id  varchar2(20)  path '$.id',
                  title    varchar2(400) path '$.fields.Title',
                  modified varchar2(40)  path '$.lastModifiedDateTime')) i;
