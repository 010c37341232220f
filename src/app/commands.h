#pragma once

namespace CLI {
class App;
}

namespace kagami::app {

// Each command registers itself on the top-level CLI; its callback sets the exit code.
void add_record_command(CLI::App& app, int& exit_code);
void add_sessions_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_follow_command(CLI::App& app, int& exit_code);
void add_verify_command(CLI::App& app, int& exit_code);
void add_record_listing_commands(CLI::App& app, int& exit_code);  // http, dns, tls, mail, files
void add_file_command(CLI::App& app, int& exit_code);
void add_ca_command(CLI::App& app, int& exit_code);
void add_proxy_command(CLI::App& app, int& exit_code);
void add_search_command(CLI::App& app, int& exit_code);
void add_audit_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);  // serve, user
void add_up_command(CLI::App& app, int& exit_code);
void add_status_command(CLI::App& app, int& exit_code);
void add_proxy_user_command(CLI::App& app, int& exit_code);
void add_reanalyze_command(CLI::App& app, int& exit_code);

}  // namespace kagami::app
