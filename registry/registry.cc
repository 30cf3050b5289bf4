#include "registry/registry.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/crash_point.h"
#include "registry/sqlite_db.h"

namespace kiln::registry {
namespace {

// Forward migrations: kMigrations[i] takes user_version i to i + 1.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the first schema.
    R"sql(
CREATE TABLE extension_points(
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (name, version));
CREATE TABLE modules(
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  backend TEXT NOT NULL,
  interp_reason TEXT NOT NULL DEFAULT '',
  compile_seconds REAL NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE extension_versions(
  extension_point TEXT NOT NULL,
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  module_sha256 TEXT NOT NULL REFERENCES modules(sha256),
  config TEXT NOT NULL DEFAULT '',
  priority INTEGER NOT NULL DEFAULT 0,
  extension_point_version INTEGER NOT NULL,
  deployed_by TEXT NOT NULL,
  deployed_at TEXT NOT NULL,
  PRIMARY KEY (extension_point, scope, name, version));
CREATE TABLE extensions(
  extension_point TEXT NOT NULL,
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  live_version INTEGER NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (extension_point, scope, name));
)sql",
    // 1 -> 2: canaries. A version may run beside the live one for a share
    // of the scopes (registry/canary_share.h); 0: no canary.
    R"sql(
ALTER TABLE extensions ADD COLUMN canary_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE extensions ADD COLUMN canary_percent INTEGER NOT NULL DEFAULT 0;
)sql",
    // 2 -> 3: providers. A Shopify function's provider module (by its
    // import name), resolved at deploy and stored beside it; '': none.
    R"sql(
ALTER TABLE extension_versions ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE extension_versions ADD COLUMN provider_sha256 TEXT NOT NULL DEFAULT '';
)sql",
};
constexpr int kSchemaVersion = sizeof kMigrations / sizeof kMigrations[0];

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// The columns read_extension() expects, in order.
constexpr const char* kExtensionColumns =
    "v.extension_point, v.scope, v.name, v.version, e.live_version, e.enabled, v.priority, v.config, "
    "v.extension_point_version, m.sha256, m.size, m.backend, m.interp_reason, m.compile_seconds, v.deployed_by, "
    "v.deployed_at, e.canary_version, e.canary_percent, v.provider, v.provider_sha256, coalesce(p.size, 0), "
    "coalesce(p.backend, ''), coalesce(p.interp_reason, ''), coalesce(p.compile_seconds, 0)";
constexpr const char* kExtensionJoin =
    " FROM extension_versions v JOIN extensions e ON e.extension_point = v.extension_point AND e.scope = v.scope "
    "AND e.name = v.name JOIN modules m ON m.sha256 = v.module_sha256 "
    "LEFT JOIN modules p ON p.sha256 = v.provider_sha256 AND v.provider <> '' ";

// A module's record from five columns in kExtensionColumns' order, from `at`.
ModuleRecord read_module_record(const Statement& row, int at) {
  ModuleRecord module;
  module.sha256 = row.text(at);
  module.size = static_cast<uint64_t>(row.integer(at + 1));
  module.backend = row.text(at + 2);
  module.interp_reason = row.text(at + 3);
  module.compile_seconds = row.real(at + 4);
  return module;
}

Extension read_extension(const Statement& row) {
  Extension ext;
  ext.extension_point = row.text(0);
  ext.scope = row.text(1);
  ext.name = row.text(2);
  ext.version = row.integer(3);
  ext.live_version = row.integer(4);
  ext.enabled = row.integer(5) != 0;
  ext.priority = row.integer(6);
  ext.config = row.text(7);
  ext.extension_point_version = row.integer(8);
  ext.module = read_module_record(row, 9);
  ext.deployed_by = row.text(14);
  ext.deployed_at = row.text(15);
  ext.canary_version = row.integer(16);
  ext.canary_percent = static_cast<int>(row.integer(17));
  ext.provider = row.text(18);
  ext.provider_module = read_module_record(row, 19);
  return ext;
}

Result<std::vector<Extension>> read_extensions(Statement& stmt) {
  std::vector<Extension> out;
  while (stmt.step()) out.push_back(read_extension(stmt));
  if (stmt.error()) return *stmt.error();
  return out;
}

std::string describe(const std::string& ep, const std::string& scope, const std::string& name) {
  std::string text = "extension point " + ep + ", scope " + scope;
  if (!name.empty()) text += ", extension " + name;
  return text;
}

Result<void> make_parent_dirs(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return make_error(ErrorKind::Io, parent.string() + ": cannot create the registry's folder: " + ec.message());
  return {};
}

}  // namespace

std::string current_user() {
  if (const char* user = std::getenv("KILN_USER"); user && *user) return user;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return "uid " + std::to_string(getuid());
}

std::string Registry::default_path() {
  if (const char* home = std::getenv("KILN_HOME"); home && *home) return std::string(home) + "/registry.db";
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data) return std::string(data) + "/kiln/registry.db";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/kiln/registry.db";
}

int Registry::schema_version() { return kSchemaVersion; }

Registry::Registry(std::unique_ptr<SqliteDb> db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
Registry::~Registry() = default;

Result<std::unique_ptr<Registry>> Registry::open(const std::string& path) {
  if (auto made = make_parent_dirs(path); !made) return made.error();
  auto db = SqliteDb::open(path);
  if (!db) return db.error();
  // WAL: readers (executors) never block the writer (a deploy), and a
  // crash mid-transaction leaves the last commit. NORMAL sync is durable
  // against a killed process, which is the crash that matters here.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto set = (*db)->exec(pragma); !set) return set.error();
  }
  std::unique_ptr<Registry> registry(new Registry(std::move(*db), path));
  if (auto migrated = registry->migrate(); !migrated) return migrated.error();
  return registry;
}

std::string Registry::cache_dir() const {
  // One cache may serve several registries (tests, CI): it is content-addressed.
  if (const char* dir = std::getenv("KILN_CACHE_DIR"); dir && *dir) return dir;
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  return (parent.empty() ? std::filesystem::path("cache") : parent / "cache").string();
}

Result<void> Registry::migrate() {
  auto tx = db_->begin();
  if (!tx) return tx.error();
  auto stmt = db_->prepare("PRAGMA user_version");
  if (!stmt) return stmt.error();
  int64_t version = stmt->step() ? stmt->integer(0) : 0;
  if (version > kSchemaVersion) {
    return make_error(ErrorKind::Io, path_ + ": registry schema version " + std::to_string(version) +
                                         " is newer than this kiln knows (" + std::to_string(kSchemaVersion) +
                                         "); use a newer kiln");
  }
  for (int64_t v = version; v < kSchemaVersion; ++v) {
    if (auto done = db_->exec(kMigrations[v]); !done) return done.error();
  }
  if (version != kSchemaVersion) {
    if (auto set = db_->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion)); !set) return set.error();
  }
  return tx->commit();
}

Result<int64_t> Registry::create_extension_point(const ExtensionPoint& ep, const std::string& who) {
  auto tx = db_->begin();
  if (!tx) return tx.error();
  auto exists = db_->prepare("SELECT 1 FROM extension_points WHERE name = ?");
  if (!exists) return exists.error();
  if (exists->bind(1, ep.name).step()) {
    return make_error(ErrorKind::AlreadyExists,
                      "extension point " + ep.name + " already exists (use `kiln ep update` for a new version)");
  }
  auto insert = db_->prepare(std::string("INSERT INTO extension_points VALUES (?, 1, ?, ?, ") + kNow + ")");
  if (!insert) return insert.error();
  if (auto done = insert->bind(1, ep.name).bind(2, ep.definition).bind(3, who).run(); !done) return done.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return int64_t{1};
}

Result<int64_t> Registry::update_extension_point(const ExtensionPoint& ep, const std::string& who) {
  auto tx = db_->begin();
  if (!tx) return tx.error();
  auto latest = db_->prepare("SELECT max(version), definition FROM extension_points WHERE name = ?");
  if (!latest) return latest.error();
  if (!latest->bind(1, ep.name).step() || latest->is_null(0)) {
    return make_error(ErrorKind::NotFound, "no extension point " + ep.name + " (use `kiln ep create` first)");
  }
  int64_t version = latest->integer(0) + 1;
  auto insert = db_->prepare(std::string("INSERT INTO extension_points VALUES (?, ?, ?, ?, ") + kNow + ")");
  if (!insert) return insert.error();
  if (auto done = insert->bind(1, ep.name).bind(2, version).bind(3, ep.definition).bind(4, who).run(); !done) {
    return done.error();
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  return version;
}

Result<std::vector<ExtensionPointSummary>> Registry::list_extension_points() {
  auto stmt = db_->prepare(
      "SELECT p.name, p.version, p.created_by, p.created_at, "
      "(SELECT count(*) FROM extensions e WHERE e.extension_point = p.name AND e.enabled) "
      "FROM extension_points p WHERE p.version = (SELECT max(version) FROM extension_points q WHERE q.name = p.name) "
      "ORDER BY p.name");
  if (!stmt) return stmt.error();
  std::vector<ExtensionPointSummary> out;
  while (stmt->step()) {
    out.push_back({stmt->text(0), stmt->integer(1), stmt->text(2), stmt->text(3), stmt->integer(4)});
  }
  if (stmt->error()) return *stmt->error();
  return out;
}

Result<ExtensionPoint> Registry::extension_point(const std::string& name, std::optional<int64_t> version) {
  auto stmt = db_->prepare(version ? "SELECT version, definition FROM extension_points WHERE name = ? AND version = ?"
                                   : "SELECT version, definition FROM extension_points WHERE name = ? "
                                     "ORDER BY version DESC LIMIT 1");
  if (!stmt) return stmt.error();
  stmt->bind(1, name);
  if (version) stmt->bind(2, *version);
  if (!stmt->step()) {
    if (stmt->error()) return *stmt->error();
    return make_error(ErrorKind::NotFound, "no extension point " + name +
                                               (version ? " version " + std::to_string(*version) : std::string()));
  }
  auto ep = parse_extension_point(stmt->text(1), "extension point " + name);
  if (!ep) return ep.error();
  ep->version = stmt->integer(0);
  return std::move(*ep);
}

Result<Extension> Registry::deploy(const DeployRecord& record) {
  if (record.canary_percent && (*record.canary_percent < 1 || *record.canary_percent > 100)) {
    return make_error(ErrorKind::InvalidArgument,
                      "a canary's share is a percentage of scopes from 1 to 100, not " +
                          std::to_string(*record.canary_percent));
  }
  auto tx = db_->begin();
  if (!tx) return tx.error();
  if (record.canary_percent) {
    // A canary shares the scopes with a live version: without one, the
    // scopes outside the share would run nothing.
    auto live = list_extensions({record.extension_point, record.scope});
    if (!live) return live.error();
    const bool exists = std::any_of(live->begin(), live->end(), [&](const Extension& ext) {
      return ext.scope == record.scope && ext.name == record.name;
    });
    if (!exists) {
      return make_error(ErrorKind::InvalidArgument, describe(record.extension_point, record.scope, record.name) +
                                                        " has no live version for a canary to share scopes with; "
                                                        "deploy it without a canary first");
    }
  }
  if (auto stored = insert_module(record.module, record.bytes); !stored) return stored.error();
  if (!record.provider.empty()) {
    if (auto stored = insert_module(record.provider_module, record.provider_bytes); !stored) return stored.error();
  }
  base::crash_point("registry.module_stored");

  auto next = db_->prepare(
      "SELECT coalesce(max(version), 0) + 1 FROM extension_versions WHERE extension_point = ? AND scope = ? AND "
      "name = ?");
  if (!next) return next.error();
  next->bind(1, record.extension_point).bind(2, record.scope).bind(3, record.name);
  if (!next->step()) return next->error() ? *next->error() : db_->failure("numbering the version");
  int64_t version = next->integer(0);

  auto add_version =
      db_->prepare(std::string("INSERT INTO extension_versions (extension_point, scope, name, version, module_sha256, "
                               "config, priority, extension_point_version, deployed_by, deployed_at, provider, "
                               "provider_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ") +
                   kNow + ", ?, ?)");
  if (!add_version) return add_version.error();
  add_version->bind(1, record.extension_point)
      .bind(2, record.scope)
      .bind(3, record.name)
      .bind(4, version)
      .bind(5, record.module.sha256)
      .bind(6, record.config)
      .bind(7, record.priority)
      .bind(8, record.extension_point_version)
      .bind(9, record.who)
      .bind(10, record.provider)
      .bind(11, record.provider.empty() ? std::string() : record.provider_module.sha256);
  if (auto done = add_version->run(); !done) return done.error();
  base::crash_point("registry.version_stored");

  if (auto live = record.canary_percent ? start_canary(record, version) : make_live(record, version); !live) {
    return live.error();
  }
  base::crash_point("registry.before_commit");
  if (auto committed = tx->commit(); !committed) return committed.error();
  base::crash_point("registry.after_commit");
  return read_version(record.extension_point, record.scope, record.name, version);
}

// A plain deploy: the new version live for every scope, enabled, and any
// canary superseded.
Result<void> Registry::make_live(const DeployRecord& record, int64_t version) {
  auto upsert = db_->prepare(
      std::string("INSERT INTO extensions (extension_point, scope, name, live_version, enabled, updated_by, "
                  "updated_at) VALUES (?, ?, ?, ?, 1, ?, ") +
      kNow +
      ") ON CONFLICT (extension_point, scope, name) DO UPDATE SET "
      "live_version = excluded.live_version, enabled = 1, canary_version = 0, canary_percent = 0, "
      "updated_by = excluded.updated_by, updated_at = excluded.updated_at");
  if (!upsert) return upsert.error();
  upsert->bind(1, record.extension_point).bind(2, record.scope).bind(3, record.name).bind(4, version).bind(5, record.who);
  return upsert->run();
}

// A canary deploy: the live version stays; the new one runs for its share
// of the scopes, replacing an earlier canary.
Result<void> Registry::start_canary(const DeployRecord& record, int64_t version) {
  return set_canary(record.extension_point, record.scope, record.name, version, *record.canary_percent, record.who);
}

Result<Extension> Registry::read_version(const std::string& ep, const std::string& scope, const std::string& name,
                                         int64_t version) {
  auto stmt = db_->prepare(std::string("SELECT ") + kExtensionColumns + kExtensionJoin +
                           "WHERE v.extension_point = ? AND v.scope = ? AND v.name = ? AND v.version = ?");
  if (!stmt) return stmt.error();
  stmt->bind(1, ep).bind(2, scope).bind(3, name).bind(4, version);
  if (!stmt->step()) {
    if (stmt->error()) return *stmt->error();
    return make_error(ErrorKind::NotFound, "no version " + std::to_string(version) + " of " + describe(ep, scope, name));
  }
  return read_extension(*stmt);
}

Result<std::vector<Extension>> Registry::list_extensions(const ExtensionFilter& filter) {
  auto stmt = db_->prepare(std::string("SELECT ") + kExtensionColumns + kExtensionJoin +
                           "WHERE v.version = e.live_version AND (?1 = '' OR v.extension_point = ?1) AND "
                           "(?2 = '' OR v.scope = ?2) ORDER BY v.extension_point, v.scope, v.priority DESC, v.name");
  if (!stmt) return stmt.error();
  stmt->bind(1, filter.extension_point).bind(2, filter.scope);
  return read_extensions(*stmt);
}

Result<std::vector<Extension>> Registry::list_canaries(const ExtensionFilter& filter) {
  auto stmt = db_->prepare(std::string("SELECT ") + kExtensionColumns + kExtensionJoin +
                           "WHERE e.canary_version <> 0 AND v.version = e.canary_version AND "
                           "(?1 = '' OR v.extension_point = ?1) AND (?2 = '' OR v.scope = ?2) "
                           "ORDER BY v.extension_point, v.scope, v.priority DESC, v.name");
  if (!stmt) return stmt.error();
  stmt->bind(1, filter.extension_point).bind(2, filter.scope);
  return read_extensions(*stmt);
}

Result<std::vector<Extension>> Registry::history(const std::string& ep, const std::string& scope,
                                                 const std::string& name) {
  auto stmt = db_->prepare(std::string("SELECT ") + kExtensionColumns + kExtensionJoin +
                           "WHERE v.extension_point = ? AND v.scope = ? AND v.name = ? ORDER BY v.version DESC");
  if (!stmt) return stmt.error();
  stmt->bind(1, ep).bind(2, scope).bind(3, name);
  return read_extensions(*stmt);
}

// The one extension a command names: `name`, or the only one at the scope.
Result<Extension> Registry::resolve_single(const std::string& ep, const std::string& scope, const std::string& name) {
  auto live = list_extensions({ep, scope});
  if (!live) return live.error();
  std::vector<Extension> matches;
  for (Extension& ext : *live) {
    if (ext.scope == scope && (name.empty() || ext.name == name)) matches.push_back(std::move(ext));
  }
  if (matches.empty()) return make_error(ErrorKind::NotFound, "nothing deployed to " + describe(ep, scope, name));
  if (matches.size() > 1) {
    std::string names;
    for (const Extension& ext : matches) names += (names.empty() ? "" : ", ") + ext.name;
    return make_error(ErrorKind::InvalidArgument,
                      describe(ep, scope, "") + " has several extensions (" + names + "); name one with --extension");
  }
  return std::move(matches.front());
}

Result<Extension> Registry::rollback(const std::string& ep, const std::string& scope, const std::string& name,
                                     std::optional<int64_t> to, const std::string& who) {
  auto tx = db_->begin();
  if (!tx) return tx.error();
  auto current = resolve_single(ep, scope, name);
  if (!current) return current.error();
  if (current->canary_version != 0 && !to) {
    // Rolling back a canary: every scope goes back to the live version.
    if (auto cleared = set_canary(ep, scope, current->name, 0, 0, who); !cleared) return cleared.error();
    if (auto committed = tx->commit(); !committed) return committed.error();
    return read_version(ep, scope, current->name, current->live_version);
  }
  int64_t target = 0;
  if (to) {
    if (*to == current->live_version && current->canary_version == 0) {
      return make_error(ErrorKind::InvalidArgument, describe(ep, scope, current->name) + " is already at version " +
                                                        std::to_string(*to));
    }
    auto exists = read_version(ep, scope, current->name, *to);
    if (!exists) return exists.error();
    target = *to;
  } else {
    auto older = db_->prepare(
        "SELECT max(version) FROM extension_versions WHERE extension_point = ? AND scope = ? AND name = ? AND "
        "version < ?");
    if (!older) return older.error();
    older->bind(1, ep).bind(2, scope).bind(3, current->name).bind(4, current->live_version);
    if (!older->step() || older->is_null(0)) {
      return make_error(ErrorKind::NotFound, describe(ep, scope, current->name) + " has no version before " +
                                                 std::to_string(current->live_version) + " to roll back to");
    }
    target = older->integer(0);
  }
  auto update = db_->prepare(std::string("UPDATE extensions SET live_version = ?, canary_version = 0, "
                                         "canary_percent = 0, updated_by = ?, updated_at = ") +
                             kNow + " WHERE extension_point = ? AND scope = ? AND name = ?");
  if (!update) return update.error();
  update->bind(1, target).bind(2, who).bind(3, ep).bind(4, scope).bind(5, current->name);
  if (auto done = update->run(); !done) return done.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return read_version(ep, scope, current->name, target);
}

Result<Extension> Registry::promote(const std::string& ep, const std::string& scope, const std::string& name,
                                    const std::string& who) {
  auto tx = db_->begin();
  if (!tx) return tx.error();
  auto current = resolve_single(ep, scope, name);
  if (!current) return current.error();
  if (current->canary_version == 0) {
    return make_error(ErrorKind::NotFound, describe(ep, scope, current->name) + " has no canary to promote");
  }
  auto update = db_->prepare(std::string("UPDATE extensions SET live_version = canary_version, canary_version = 0, "
                                         "canary_percent = 0, updated_by = ?, updated_at = ") +
                             kNow + " WHERE extension_point = ? AND scope = ? AND name = ?");
  if (!update) return update.error();
  update->bind(1, who).bind(2, ep).bind(3, scope).bind(4, current->name);
  if (auto done = update->run(); !done) return done.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return read_version(ep, scope, current->name, current->canary_version);
}

Result<Extension> Registry::set_canary_share(const std::string& ep, const std::string& scope, const std::string& name,
                                             int percent, const std::string& who) {
  if (percent < 1 || percent > 100) {
    return make_error(ErrorKind::InvalidArgument,
                      "a canary's share is a percentage of scopes from 1 to 100, not " + std::to_string(percent));
  }
  auto tx = db_->begin();
  if (!tx) return tx.error();
  auto current = resolve_single(ep, scope, name);
  if (!current) return current.error();
  if (current->canary_version == 0) {
    return make_error(ErrorKind::NotFound, describe(ep, scope, current->name) + " has no canary to share scopes with");
  }
  if (auto set = set_canary(ep, scope, current->name, current->canary_version, percent, who); !set) return set.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return read_version(ep, scope, current->name, current->canary_version);
}

Result<void> Registry::set_canary(const std::string& ep, const std::string& scope, const std::string& name,
                                  int64_t version, int percent, const std::string& who) {
  auto update = db_->prepare(std::string("UPDATE extensions SET canary_version = ?, canary_percent = ?, "
                                         "updated_by = ?, updated_at = ") +
                             kNow + " WHERE extension_point = ? AND scope = ? AND name = ?");
  if (!update) return update.error();
  update->bind(1, version).bind(2, int64_t{percent}).bind(3, who).bind(4, ep).bind(5, scope).bind(6, name);
  return update->run();
}

Result<Extension> Registry::set_enabled(const std::string& ep, const std::string& scope, const std::string& name,
                                        bool enabled, const std::string& who) {
  auto tx = db_->begin();
  if (!tx) return tx.error();
  auto current = resolve_single(ep, scope, name);
  if (!current) return current.error();
  auto update = db_->prepare(std::string("UPDATE extensions SET enabled = ?, updated_by = ?, updated_at = ") + kNow +
                             " WHERE extension_point = ? AND scope = ? AND name = ?");
  if (!update) return update.error();
  update->bind(1, int64_t{enabled ? 1 : 0}).bind(2, who).bind(3, ep).bind(4, scope).bind(5, current->name);
  if (auto done = update->run(); !done) return done.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return read_version(ep, scope, current->name, current->live_version);
}

Result<void> Registry::insert_module(const ModuleRecord& module, std::span<const uint8_t> bytes) {
  auto add = db_->prepare(std::string("INSERT OR IGNORE INTO modules VALUES (?, ?, ?, ?, ?, ?, ") + kNow + ")");
  if (!add) return add.error();
  add->bind(1, module.sha256)
      .bind(2, static_cast<int64_t>(module.size))
      .bind_blob(3, bytes)
      .bind(4, module.backend)
      .bind(5, module.interp_reason)
      .bind(6, module.compile_seconds);
  return add->run();
}

Result<void> Registry::put_module(const ModuleRecord& module, std::span<const uint8_t> bytes) {
  auto tx = db_->begin();
  if (!tx) return tx.error();
  if (auto stored = insert_module(module, bytes); !stored) return stored.error();
  return tx->commit();
}

Result<std::vector<uint8_t>> Registry::module_bytes(const std::string& sha256) {
  auto stmt = db_->prepare("SELECT bytes FROM modules WHERE sha256 = ?");
  if (!stmt) return stmt.error();
  if (!stmt->bind(1, sha256).step()) {
    if (stmt->error()) return *stmt->error();
    return make_error(ErrorKind::NotFound, "no module " + sha256 + " in the registry");
  }
  auto bytes = stmt->blob(0);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

Result<int64_t> Registry::data_version() {
  auto stmt = db_->prepare("PRAGMA data_version");
  if (!stmt) return stmt.error();
  if (!stmt->step()) return stmt->error() ? *stmt->error() : db_->failure("reading data_version");
  return stmt->integer(0);
}

Result<std::string> Registry::integrity_check() {
  auto stmt = db_->prepare("PRAGMA integrity_check");
  if (!stmt) return stmt.error();
  std::string out;
  while (stmt->step()) out += (out.empty() ? "" : "\n") + stmt->text(0);
  if (stmt->error()) return *stmt->error();
  return out;
}

}  // namespace kiln::registry
