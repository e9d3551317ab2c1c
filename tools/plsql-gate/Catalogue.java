// Oracle built-ins the gate knows: the release that introduced each, and
// the documented parameters of the subprograms sql/ calls (names, and '?'
// for a parameter with a default). Source: Oracle's PL/SQL Packages and
// Types Reference and SQL Language Reference, per release. Anything not
// listed is counted as "uncatalogued", never passed silently as checked.
import java.util.*;

final class Catalogue {
    static final class Entry { String kind; double since; List<Gate.Sub> subs = new ArrayList<>(); }

    static final String[] DATA = {
        // kind name since [f|p params]
        "pkg dbms_lob 8", "pkg utl_i18n 9.2", "pkg utl_raw 7.3", "pkg utl_url 8.1", "pkg dbms_lock 7",
        "pkg dbms_application_info 7.3", "pkg dbms_utility 7", "pkg dbms_output 7", "pkg dbms_session 7",
        "pkg utl_http 7.3", "pkg dbms_assert 10.2", "pkg dbms_sql 7", "pkg utl_call_stack 12.1", "pkg dbms_db_version 10.1",
        "pkg dbms_crypto 10.1", "pkg dbms_random 8", "pkg standard 7", "pkg utl_encode 9.2", "pkg dbms_scheduler 10.1",
        "sub dbms_lob.writeappend 8 p lob_loc,amount,buffer",
        "sub dbms_lob.write 8 p lob_loc,amount,offset,buffer",
        "sub dbms_lob.read 8 p lob_loc,amount,offset,buffer",
        "sub dbms_lob.append 8 p dest_lob,src_lob",
        "sub dbms_lob.getlength 8 f lob_loc",
        "sub dbms_lob.substr 8 f lob_loc,amount?,offset?",
        "sub dbms_lob.instr 8 f lob_loc,pattern,offset?,nth?",
        "sub dbms_lob.createtemporary 8.1 p lob_loc,cache,dur?",
        "sub dbms_lob.freetemporary 8.1 p lob_loc",
        "sub dbms_lob.istemporary 8.1 f lob_loc",
        "sub dbms_lob.trim 8 p lob_loc,newlen",
        "sub dbms_lob.copy 8 p dest_lob,src_lob,amount,dest_offset?,src_offset?",
        "sub dbms_lob.converttoblob 10.1 p dest_lob,src_clob,amount,dest_offset,src_offset,blob_csid,lang_context,warning",
        "sub dbms_lob.converttoclob 10.1 p dest_lob,src_blob,amount,dest_offset,src_offset,blob_csid,lang_context,warning",
        "val dbms_lob.call 8.1", "val dbms_lob.session 8.1", "val dbms_lob.lobmaxsize 8", "val dbms_lob.default_lang_ctx 10.1",
        "val dbms_lob.default_csid 10.1", "val dbms_lob.warn_inconvertible_char 10.1",
        "sub utl_i18n.string_to_raw 9.2 f data,dst_charset?",
        "sub utl_i18n.raw_to_char 9.2 f data,src_charset?",
        "sub utl_i18n.escape_reference 9.2 f str,page_cs_name?",
        "sub utl_raw.compare 7.3 f r1,r2,pad?",
        "sub utl_raw.length 7.3 f r",
        "sub utl_raw.cast_to_raw 7.3 f c",
        "sub utl_raw.cast_to_varchar2 7.3 f r",
        "sub utl_raw.substr 7.3 f r,pos,len?",
        "sub utl_raw.concat 7.3 f r1?,r2?,r3?,r4?,r5?,r6?,r7?,r8?,r9?,r10?,r11?,r12?",
        "sub utl_url.escape 8.1 f url,escape_reserved_chars?,url_charset?",
        "sub utl_url.unescape 8.1 f url,url_charset?",
        "sub dbms_lock.allocate_unique 7 p lockname,lockhandle,expiration_secs?",
        "sub dbms_lock.request 7 f lockhandle,lockmode?,timeout?,release_on_commit?",
        "sub dbms_lock.request 7 f id,lockmode?,timeout?,release_on_commit?",
        "sub dbms_lock.release 7 f lockhandle",
        "sub dbms_lock.release 7 f id",
        "sub dbms_lock.sleep 7 p seconds",
        "val dbms_lock.x_mode 7", "val dbms_lock.s_mode 7", "val dbms_lock.maxwait 7",
        "sub dbms_application_info.set_module 7.3 p module_name,action_name",
        "sub dbms_application_info.set_action 7.3 p action_name",
        "sub dbms_application_info.set_client_info 7.3 p client_info",
        "sub dbms_application_info.read_module 7.3 p module_name,action_name",
        "sub dbms_utility.format_error_backtrace 10.1 f",
        "sub dbms_utility.format_error_stack 7 f",
        "sub dbms_utility.format_call_stack 7 f",
        "sub dbms_utility.get_time 7 f",
        "sub dbms_output.put_line 7 p a",
        "sub dbms_assert.simple_sql_name 10.2 f str",
        "sub dbms_assert.enquote_literal 10.2 f str",
        "sub utl_encode.base64_encode 9.2 f r",
        "sub utl_encode.base64_decode 9.2 f r",
        "pkg htf 8", "sub htf.escape_sc 8 f ctext",
        "sub dbms_scheduler.create_job 10.1 p job_name,job_type?,job_action?,number_of_arguments?,start_date?,repeat_interval?,end_date?,job_class?,enabled?,auto_drop?,comments?,credential_name?,destination_name?",
        "sub dbms_scheduler.create_job 10.1 p job_name,program_name,schedule_name?,repeat_interval?,start_date?,end_date?,job_class?,enabled?,auto_drop?,comments?,job_style?,credential_name?,destination_name?",
        "sub dbms_scheduler.run_job 10.1 p job_name,use_current_session?",
        "sub dbms_scheduler.drop_job 10.1 p job_name,force?,defer?,commit_semantics?",
        "sub dbms_scheduler.enable 10.1 p name,commit_semantics?",
        "sub dbms_scheduler.disable 10.1 p name,force?,commit_semantics?",
        "typ odcivarchar2list 10.1", "typ odcinumberlist 10.1",
        "sub dbms_output.put 7 p a",
        "sub dbms_session.set_context 8.1 p namespace,attribute,value,username?,client_id?",
        "val dbms_db_version.version 10.1", "val dbms_db_version.release 10.1",
        // MSGRAPH_SYNC's scale-out (added for issue 16): DBMS_PARALLEL_EXECUTE, 11.2
        "pkg dbms_parallel_execute 11.2",
        "sub dbms_parallel_execute.create_task 11.2 p task_name,comment?",
        "sub dbms_parallel_execute.create_chunks_by_sql 11.2 p task_name,sql_stmt,by_rowid",
        "sub dbms_parallel_execute.run_task 11.2 p task_name,sql_stmt,language_flag,edition?,apply_crossedition_trigger?,fire_apply_trigger?,parallel_level?,job_class?",
        "sub dbms_parallel_execute.task_status 11.2 f task_name",
        "sub dbms_parallel_execute.drop_task 11.2 p task_name",
        "val dbms_parallel_execute.finished 11.2",
        "val dbms_sql.native 7",
        // object types and SQL features, by the release that introduced them
        "typ json_object_t 12.2", "typ json_array_t 12.2", "typ json_element_t 12.2", "typ json_key_list 12.2",
        "typ json_scalar_t 12.2", "typ json_table 12.1", "typ json_value 12.1", "typ json_query 12.1",
        "typ json_exists 12.1", "typ json_object 12.2", "typ json_array 12.2", "typ json_arrayagg 12.2",
        "typ json_objectagg 12.2", "typ json_serialize 19", "typ json_transform 21", "typ json_mergepatch 19",
        "typ listagg 11.2", "typ utl_call_stack 12.1", "typ dbms_utility 7", "typ approx_count_distinct 12.1",
        "typ validate_conversion 12.2", "typ to_utc_timestamp_tz 18",
    };

    static Map<String, Entry> load() {
        Map<String, Entry> m = new HashMap<>();
        for (String line : DATA) {
            String[] f = line.split(" ");
            Entry e = m.computeIfAbsent(f[1], k -> new Entry());
            e.kind = f[0].equals("pkg") ? "package" : f[0];
            e.since = Double.parseDouble(f[2]);
            if (f[0].equals("sub")) {
                Gate.Sub s = new Gate.Sub();
                s.name = f[1]; s.function = f[3].equals("f"); s.inSpec = true;
                if (f.length > 4) for (String p : f[4].split(",")) {
                    Gate.Param q = new Gate.Param();
                    q.hasDefault = p.endsWith("?"); q.name = p.replace("?", ""); q.mode = "in"; q.type = "";
                    s.params.add(q);
                }
                e.subs.add(s);
            }
        }
        return m;
    }
}
