-- Before 23ai BOOLEAN is a PL/SQL-only type: a BOOLEAN variable inside a
-- SQL statement fails (PLS-00382 / ORA-00904); 23ai has SQL BOOLEAN.
create or replace procedure flag_it(p_full in boolean) is
begin
  update t set full_round = case when p_full then 'Y' else 'N' end;
end;
/
