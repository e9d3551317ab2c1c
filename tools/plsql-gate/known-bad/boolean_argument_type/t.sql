-- PLS-00306: wrong number or types of arguments in call
-- (PL/SQL converts nothing to or from BOOLEAN).
create or replace package p as
  procedure log_it(p_text in varchar2, p_force in boolean default false);
end p;
/
create or replace package body p as
  procedure log_it(p_text in varchar2, p_force in boolean default false) is
  begin
    null;
  end log_it;
  procedure caller is
    l_done boolean := true;
    l_lob clob;
  begin
    dbms_output.put_line(l_done);
    log_it(true);
    log_it('x', 'Y');
    log_it(p_text => 'x', p_force => 1);
    dbms_lob.createtemporary(l_lob, 'TRUE');
    log_it(l_done);
  end caller;
end p;
/
