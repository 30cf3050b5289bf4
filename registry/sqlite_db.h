// A thin RAII layer over SQLite's C API for the registry: one connection,
// prepared statements, transactions. SQLite does the work; this only turns
// its return codes into kiln Errors (ErrorKind::Io) and frees what it made.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kiln/result.h"

namespace kiln::registry {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t number);
  Statement& bind(int index, double number);
  Statement& bind_blob(int index, std::span<const uint8_t> bytes);
  Statement& bind_null(int index);

  // True while a row is ready; false when done. An error ends the loop too
  // and is kept for error().
  bool step();
  // Runs a statement that returns no rows.
  Result<void> run();
  const std::optional<Error>& error() const { return error_; }

  std::string text(int column) const;
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::span<const uint8_t> blob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::optional<Error> error_;
};

class SqliteDb {
 public:
  // Opens (creating) the file; several processes may have it open at once.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path);
  ~SqliteDb();

  Result<Statement> prepare(std::string_view sql);
  Result<void> exec(const std::string& sql);
  // "<path>: <what>: <sqlite's message>" as an Io error.
  Error failure(std::string_view what) const;

  // BEGIN IMMEDIATE ... COMMIT; rolled back when the guard dies uncommitted.
  class Transaction {
   public:
    explicit Transaction(SqliteDb& db) : db_(&db) {}
    Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
    ~Transaction();
    Result<void> commit();

   private:
    SqliteDb* db_;
  };
  Result<Transaction> begin();

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

}  // namespace kiln::registry
