-- PLS-00221: 'GET' is not a procedure or is undefined.
create or replace package p as
  function get(p_url in varchar2) return clob;
end p;
/
create or replace procedure caller is
begin
  p.get('/me');
end;
/
