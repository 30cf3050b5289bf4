// Registry: the platform's durable state in one SQLite file — extension
// points (every version kept), modules (their bytes, keyed by SHA-256, and
// how they were compiled) and extensions (each deploy a new version; one
// version live per extension, enabled or not). Several processes may use
// one file at once (WAL; writers queue on a busy timeout). Every change is
// one transaction: a process killed at any point leaves the last committed
// state, intact.
//
// The file is $KILN_HOME/registry.db, else $XDG_DATA_HOME/kiln/registry.db,
// else ~/.local/share/kiln/registry.db; the AOT artifact cache (and its
// module index, which holds what compiling a module produced) sits beside
// it in cache/. Not thread-safe: one Registry per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kiln/result.h"
#include "registry/extension_point.h"

namespace kiln::registry {

class SqliteDb;

// How a module was compiled when it was first deployed.
struct ModuleRecord {
  std::string sha256;
  uint64_t size = 0;
  std::string backend;        // "aot" or "interp"
  std::string interp_reason;  // why the interpreter, when it is
  double compile_seconds = 0;
};

// One version of an extension, and its state as the registry holds it now.
struct Extension {
  std::string extension_point;
  std::string scope;  // a shop, a tenant, or "*" for every scope
  std::string name;
  int64_t version = 0;
  int64_t live_version = 0;  // the version that runs (equal to `version` for live rows)
  bool enabled = true;
  int64_t priority = 0;
  std::string config;  // JSON text; empty when the extension has none
  int64_t extension_point_version = 0;
  ModuleRecord module;
  std::string deployed_by;
  std::string deployed_at;  // UTC, ISO 8601
  // A canary beside the live version: `canary_version` (0: none) runs for
  // `canary_percent` of the scopes, chosen by registry/canary_share.h.
  int64_t canary_version = 0;
  int canary_percent = 0;
  // A Shopify function's provider (its import module name, e.g.
  // javy_quickjs_provider_v1) and the provider module stored at deploy;
  // empty: the module links none.
  std::string provider;
  ModuleRecord provider_module;
};

struct ExtensionPointSummary {
  std::string name;
  int64_t version = 0;
  std::string updated_by;
  std::string updated_at;
  int64_t live_extensions = 0;
};

struct DeployRecord {
  std::string extension_point;
  std::string scope;
  std::string name;
  std::string config;  // JSON text, already checked against the config schema; may be empty
  int64_t priority = 0;
  int64_t extension_point_version = 0;  // the definition the module was checked against
  ModuleRecord module;
  std::span<const uint8_t> bytes;
  // The provider the module links (empty: none), stored with it.
  std::string provider;
  ModuleRecord provider_module;
  std::span<const uint8_t> provider_bytes;
  std::string who;
  // Set: the new version goes live as a canary for this percentage of the
  // scopes (1-100), the live version keeping the rest, until promote() or
  // rollback(). Unset: live for every scope, superseding any canary.
  std::optional<int> canary_percent;
};

struct ExtensionFilter {
  std::string extension_point;  // empty: any
  std::string scope;            // empty: any
};

class Registry {
 public:
  static std::string default_path();
  // Opens the file (creating it and its folder), migrating its schema
  // forward. A file from a newer kiln is refused, untouched.
  static Result<std::unique_ptr<Registry>> open(const std::string& path);
  ~Registry();

  const std::string& path() const { return path_; }
  // Where the artifact cache for this registry lives: $KILN_CACHE_DIR, else
  // cache/ beside the file.
  std::string cache_dir() const;
  static int schema_version();

  // Extension points. Create fails when the name exists; update when it
  // does not. Both return the version written.
  Result<int64_t> create_extension_point(const ExtensionPoint& ep, const std::string& who);
  Result<int64_t> update_extension_point(const ExtensionPoint& ep, const std::string& who);
  Result<std::vector<ExtensionPointSummary>> list_extension_points();
  // The latest version, or `version`. NotFound when absent.
  Result<ExtensionPoint> extension_point(const std::string& name, std::optional<int64_t> version = std::nullopt);

  // Stores the module (once per hash) and a new version of the extension,
  // made live and enabled, in one transaction.
  Result<Extension> deploy(const DeployRecord& record);
  // Live versions, sorted by extension point, scope, priority (high first), name.
  Result<std::vector<Extension>> list_extensions(const ExtensionFilter& filter = {});
  // The canary versions running beside live ones, in the same order.
  Result<std::vector<Extension>> list_canaries(const ExtensionFilter& filter = {});
  // Every version of one extension, newest first.
  Result<std::vector<Extension>> history(const std::string& ep, const std::string& scope, const std::string& name);
  // Makes an earlier version live: `to`, else the newest version older than
  // the live one. `name` may be empty when the scope has one extension.
  // With a canary running, it ends the canary: without `to` every scope
  // goes back to the live version, which is returned.
  Result<Extension> rollback(const std::string& ep, const std::string& scope, const std::string& name,
                             std::optional<int64_t> to, const std::string& who);
  Result<Extension> set_enabled(const std::string& ep, const std::string& scope, const std::string& name,
                                bool enabled, const std::string& who);
  // Makes the canary the live version for every scope; returns it.
  Result<Extension> promote(const std::string& ep, const std::string& scope, const std::string& name,
                            const std::string& who);
  // Changes the canary's share of the scopes (1-100); returns the canary.
  Result<Extension> set_canary_share(const std::string& ep, const std::string& scope, const std::string& name,
                                     int percent, const std::string& who);

  // Stores a module (once per hash) without deploying it: an upload that a
  // later deploy names by its SHA-256.
  Result<void> put_module(const ModuleRecord& module, std::span<const uint8_t> bytes);
  Result<std::vector<uint8_t>> module_bytes(const std::string& sha256);
  // Changes whenever another connection commits (PRAGMA data_version): a
  // cheap poll for "has anything changed".
  Result<int64_t> data_version();
  Result<std::string> integrity_check();

 private:
  Registry(std::unique_ptr<SqliteDb> db, std::string path);
  Result<void> migrate();
  Result<void> insert_module(const ModuleRecord& module, std::span<const uint8_t> bytes);
  Result<Extension> resolve_single(const std::string& ep, const std::string& scope, const std::string& name);
  Result<Extension> read_version(const std::string& ep, const std::string& scope, const std::string& name,
                                 int64_t version);
  Result<void> make_live(const DeployRecord& record, int64_t version);
  Result<void> start_canary(const DeployRecord& record, int64_t version);
  Result<void> set_canary(const std::string& ep, const std::string& scope, const std::string& name, int64_t version,
                          int percent, const std::string& who);
  std::unique_ptr<SqliteDb> db_;
  std::string path_;
};

// Who is making a change: $KILN_USER, else $USER, else "uid N".
std::string current_user();

}  // namespace kiln::registry
