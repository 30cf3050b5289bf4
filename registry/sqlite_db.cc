#include "registry/sqlite_db.h"

namespace kiln::registry {

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, int64_t number) {
  sqlite3_bind_int64(stmt_, index, number);
  return *this;
}

Statement& Statement::bind(int index, double number) {
  sqlite3_bind_double(stmt_, index, number);
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const uint8_t> bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    error_ = make_error(ErrorKind::Io, std::string("registry: ") + sqlite3_errmsg(db_));
  }
  return false;
}

Result<void> Statement::run() {
  while (step()) {
  }
  if (error_) return *error_;
  return {};
}

std::string Statement::text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, column));
}

std::span<const uint8_t> Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return {static_cast<const uint8_t*>(data), static_cast<size_t>(size)};
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = path + ": cannot open the registry: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return make_error(ErrorKind::Io, message);
  }
  // Writers wait for each other (another process deploying) instead of failing.
  sqlite3_busy_timeout(db, 10'000);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

Error SqliteDb::failure(std::string_view what) const {
  ErrorLocation where;
  where.file = path_;
  return make_error(ErrorKind::Io, path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_), std::move(where));
}

Result<Statement> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return failure("preparing a query");
  }
  return Statement(db_, stmt);
}

Result<void> SqliteDb::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return make_error(ErrorKind::Io, path_ + ": " + text);
  }
  return {};
}

Result<SqliteDb::Transaction> SqliteDb::begin() {
  // IMMEDIATE takes the write lock now, so two deploys queue on the busy
  // timeout rather than one failing at its first write.
  if (auto begun = exec("BEGIN IMMEDIATE"); !begun) return begun.error();
  return Transaction(*this);
}

SqliteDb::Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Result<void> SqliteDb::Transaction::commit() {
  SqliteDb* db = db_;
  db_ = nullptr;
  auto committed = db->exec("COMMIT");
  if (!committed) (void)db->exec("ROLLBACK");
  return committed;
}

}  // namespace kiln::registry
