-- An external NAME longer than 30 bytes is PLS-00114 before 12.2.
create or replace package body p as
  function clear_tokens(p_name in raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_credential_clear_tokens"
  parameters (p_name raw, p_name indicator short, p_name length sb4, return int);
end p;
/
