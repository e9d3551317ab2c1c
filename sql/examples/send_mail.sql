-- Minimum release: 12.2 (uses the companion packages)
-- send_mail: HTML with to/cc/bcc, a BLOB attachment from a table, and a
-- plain-text mail that keeps no copy in Sent Items. The sender needs a
-- mailbox; the application needs Mail.Send (and an application access
-- policy, if one is in force, that admits the sender's mailbox).
set serveroutput on size unlimited
exec msgraph.set_default_credential('graph')

declare
  l_atts msgraph_m365.t_attachments := msgraph_m365.t_attachments();
  l_pdf  blob;
begin
  select report_pdf into l_pdf from monthly_reports where report_id = 42;  -- your BLOB
  l_atts.extend;
  l_atts(1).name := 'Bericht März.pdf';
  l_atts(1).content_type := 'application/pdf';
  l_atts(1).content := l_pdf;
  msgraph_m365.send_mail(
    p_from        => 'reports@contoso.com',
    p_to          => 'Zoë Müller <zoe.mueller@contoso.com>; jose.nunez@contoso.com',
    p_cc          => 'controlling@contoso.com',
    p_bcc         => 'archive@contoso.com',
    p_subject     => 'Monatsbericht März',
    p_body        => '<p>Hallo Zoë,</p><p>anbei der Bericht.</p>',
    p_body_type   => 'HTML',
    p_attachments => l_atts);
  dbms_output.put_line('sent: HTTP ' || msgraph.g_status_code || ' request-id ' || msgraph.g_request_id);
end;
/

begin
  msgraph_m365.send_mail(p_from => 'noreply@contoso.com', p_to => 'ops@contoso.com',
                         p_subject => 'Nightly load done', p_body => 'Rows loaded: 1234',
                         p_body_type => 'Text', p_save_to_sent_items => false);
end;
/

-- The JSON send_mail posts, for $batch or for a look:
select msgraph_m365.mail_json('ops@contoso.com', 'Test', 'Body', 'Text') from dual;
