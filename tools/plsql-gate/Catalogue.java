// Oracle built-ins the gate knows: the release that introduced each, and
// the documented parameters of the subprograms sql/ calls (names, '/o' for
// OUT and '/io' for IN OUT, ':type' where the gate checks the type class,
// and '?' for a parameter with a default). Source: Oracle's PL/SQL Packages and
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
        "sub dbms_lob.writeappend 8 p lob_loc/io,amount:number,buffer",
        "sub dbms_lob.write 8 p lob_loc/io,amount:number,offset:number,buffer",
        "sub dbms_lob.read 8 p lob_loc,amount/io:number,offset:number,buffer/o",
        "sub dbms_lob.append 8 p dest_lob/io,src_lob",
        "sub dbms_lob.getlength 8 f lob_loc",
        "sub dbms_lob.substr 8 f lob_loc,amount:number?,offset:number?",
        "sub dbms_lob.instr 8 f lob_loc,pattern,offset:number?,nth:number?",
        "sub dbms_lob.createtemporary 8.1 p lob_loc/io,cache:boolean,dur:number?",
        "sub dbms_lob.freetemporary 8.1 p lob_loc/io",
        "sub dbms_lob.istemporary 8.1 f lob_loc",
        "sub dbms_lob.trim 8 p lob_loc/io,newlen:number",
        "sub dbms_lob.copy 8 p dest_lob/io,src_lob,amount:number,dest_offset:number?,src_offset:number?",
        "sub dbms_lob.converttoblob 10.1 p dest_lob/io,src_clob,amount:number,dest_offset/io:number,src_offset/io:number,blob_csid:number,lang_context/io:number,warning/o:number",
        "sub dbms_lob.converttoclob 10.1 p dest_lob/io,src_blob,amount:number,dest_offset/io:number,src_offset/io:number,blob_csid:number,lang_context/io:number,warning/o:number",
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
        "sub utl_url.escape 8.1 f url,escape_reserved_chars:boolean?,url_charset?",
        "sub utl_url.unescape 8.1 f url,url_charset?",
        "sub dbms_lock.allocate_unique 7 p lockname:varchar2,lockhandle/o:varchar2,expiration_secs:number?",
        "sub dbms_lock.request 7 f lockhandle:varchar2,lockmode:number?,timeout:number?,release_on_commit:boolean?",
        "sub dbms_lock.request 7 f id:number,lockmode:number?,timeout:number?,release_on_commit:boolean?",
        "sub dbms_lock.release 7 f lockhandle",
        "sub dbms_lock.release 7 f id",
        "sub dbms_lock.sleep 7 p seconds:number",
        "val dbms_lock.x_mode 7", "val dbms_lock.s_mode 7", "val dbms_lock.maxwait 7",
        "sub dbms_application_info.set_module 7.3 p module_name:varchar2,action_name:varchar2",
        "sub dbms_application_info.set_action 7.3 p action_name:varchar2",
        "sub dbms_application_info.set_client_info 7.3 p client_info:varchar2",
        "sub dbms_application_info.read_module 7.3 p module_name/o:varchar2,action_name/o:varchar2",
        "sub dbms_utility.format_error_backtrace 10.1 f",
        "sub dbms_utility.format_error_stack 7 f",
        "sub dbms_utility.format_call_stack 7 f",
        "sub dbms_utility.get_time 7 f",
        "sub dbms_output.put_line 7 p a:varchar2",
        "sub dbms_assert.simple_sql_name 10.2 f str:varchar2",
        "sub dbms_assert.enquote_literal 10.2 f str:varchar2",
        "sub utl_encode.base64_encode 9.2 f r",
        "sub utl_encode.base64_decode 9.2 f r",
        "pkg htf 8", "sub htf.escape_sc 8 f ctext",
        "sub dbms_scheduler.create_job 10.1 p job_name,job_type?,job_action?,number_of_arguments?,start_date?,repeat_interval?,end_date?,job_class?,enabled:boolean?,auto_drop:boolean?,comments?,credential_name?,destination_name?",
        "sub dbms_scheduler.create_job 10.1 p job_name,program_name,schedule_name?,repeat_interval?,start_date?,end_date?,job_class?,enabled:boolean?,auto_drop:boolean?,comments?,job_style?,credential_name?,destination_name?",
        "sub dbms_scheduler.run_job 10.1 p job_name:varchar2,use_current_session:boolean?",
        "sub dbms_scheduler.drop_job 10.1 p job_name:varchar2,force:boolean?,defer:boolean?,commit_semantics:varchar2?",
        "sub dbms_scheduler.enable 10.1 p name:varchar2,commit_semantics:varchar2?",
        "sub dbms_scheduler.disable 10.1 p name:varchar2,force:boolean?,commit_semantics:varchar2?",
        "typ odcivarchar2list 10.1", "typ odcinumberlist 10.1",
        "sub dbms_output.put 7 p a:varchar2",
        "sub dbms_session.set_context 8.1 p namespace:varchar2,attribute:varchar2,value:varchar2,username:varchar2?,client_id:varchar2?",
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
                    // name[/o|/io][:type][?]: mode OUT or IN OUT, declared type, has a default
                    q.hasDefault = p.endsWith("?");
                    String n = p.replace("?", "");
                    int colon = n.indexOf(':');
                    q.type = colon < 0 ? "" : n.substring(colon + 1);
                    if (colon >= 0) n = n.substring(0, colon);
                    int slash = n.indexOf('/');
                    q.mode = slash < 0 ? "in" : n.substring(slash + 1).equals("io") ? "inout" : "out";
                    q.name = slash < 0 ? n : n.substring(0, slash);
                    s.params.add(q);
                }
                e.subs.add(s);
            }
        }
        return m;
    }
}
