-- PLS-00306: wrong number or types of arguments in call.
create or replace package p as
  function get(p_url in varchar2, p_credential in varchar2 default null) return clob;
end p;
/
create or replace procedure caller is
  l_c clob;
begin
  l_c := p.get('/me', 'cred', 'extra');
  l_c := p.get(p_uri => '/me');
end;
/
