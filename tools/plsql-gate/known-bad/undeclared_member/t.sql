-- PLS-00302: component 'FETCH_ALL' must be declared.
create or replace package p as
  function get(p_url in varchar2) return clob;
end p;
/
create or replace procedure caller is
  l_c clob;
begin
  l_c := p.fetch_all('/me');
end;
/
