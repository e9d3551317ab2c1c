-- Called by install.sql in place of a part that is left out (NOSYNC, a
-- release below the part's minimum) or already there (the sync tables of
-- an earlier install).
prompt (skipped)
