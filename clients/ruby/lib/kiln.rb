# frozen_string_literal: true

# The kiln client: execute extensions in this process (libkiln.so through
# FFI) or on a kiln service (HTTP), behind one interface —
#
#   executor = Kiln::Executor.in_process(registry: "/var/lib/kiln/registry.db")
#   executor = Kiln::Executor.remote(url: "http://127.0.0.1:8080", token: ENV["KILN_EXEC_TOKEN"])
#   executor = Kiln::Executor.from_config(YAML.load_file("kiln.yml"))
#
#   result = executor.execute("checkout.discounts", scope: shop.id, input: cart_hash)
#   apply(result.output) if result.ok?
#
# Every outcome is a Kiln::Result; execute raises only for bad arguments.
require_relative "kiln/version"
require_relative "kiln/result"
require_relative "kiln/executor"
require_relative "kiln/remote_executor"
