# frozen_string_literal: true

# The specs run the real thing: a registry filled by the `kiln` CLI, the
# executor inside this process through libkiln.so, and `kiln serve` on
# loopback TCP and a Unix socket. ctest (tests/CMakeLists.txt, ruby.specs)
# passes where the build put them:
#   KILN_BINARY    the kiln command
#   KILN_LIBRARY   libkiln.so
#   KILN_GUEST_DIR the test guests (platform_behave.wasm)
#   KILN_EXAMPLES_DIR, KILN_SOURCE_DIR  the discount example's module and files
require "fileutils"
require "json"
require "open3"
require "tmpdir"

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))

module KilnSpec
  REQUIRED = %w[KILN_BINARY KILN_LIBRARY KILN_GUEST_DIR KILN_EXAMPLES_DIR KILN_SOURCE_DIR].freeze
  ADMIN_TOKEN = "admin-#{rand(1 << 64).to_s(16)}"
  EXEC_TOKEN = "exec-#{rand(1 << 64).to_s(16)}"
  DISCOUNT_EP = "checkout.product_discounts"
  BEHAVE_EP = "test.behave"

  # The test extension point of tests/guests/platform_behave.c (see
  # tests/platform_test_support.h): "mode" picks what the guest does.
  BEHAVE_DEFINITION = {
    "name" => BEHAVE_EP, "abi" => "wasi-command",
    "input_schema" => {
      "type" => "object",
      "properties" => {
        "mode" => { "type" => "string" },
        "cart" => { "type" => "object", "properties" => { "lines" => { "type" => "array", "items" => {
          "type" => "object", "properties" => { "quantity" => { "type" => "integer", "minimum" => 1 } },
          "required" => ["quantity"]
        } } } }
      }
    },
    "output_schema" => { "type" => "object", "properties" => { "result" => { "type" => "number" } } },
    "limits" => { "fuel" => 5_000_000, "timeout" => "5s", "memory" => "16MiB", "max_log" => 1000 }
  }.freeze

  # A `kiln serve` child, its listeners and log.
  Server = Struct.new(:pid, :url, :unix_url, :log_path, keyword_init: true) do
    def stop
      Process.kill("TERM", pid)
      Process.wait(pid)
    rescue Errno::ESRCH, Errno::ECHILD
      nil
    end
  end

  class << self
    attr_reader :dir, :registry, :server

    def missing
      REQUIRED.reject { |name| ENV[name] && File.exist?(ENV[name]) }
    end

    def env
      { "KILN_CACHE_DIR" => File.join(dir, "cache"), "KILN_ADMIN_TOKEN" => ADMIN_TOKEN,
        "KILN_EXEC_TOKEN" => EXEC_TOKEN }
    end

    def kiln!(*args)
      out, err, status = Open3.capture3(env, ENV.fetch("KILN_BINARY"), *args.map(&:to_s))
      raise "kiln #{args.join(' ')} exited #{status.exitstatus}: #{err}#{out}" unless status.success?

      out
    end

    def example(name) = File.join(ENV.fetch("KILN_SOURCE_DIR"), "examples", "product_discount", name)

    def setup
      @dir = Dir.mktmpdir("kiln-ruby-spec-")
      @registry = File.join(dir, "registry.db")
      kiln!("ep", "create", example("extension_point.json"), "--registry", registry)
      kiln!("deploy", File.join(ENV.fetch("KILN_EXAMPLES_DIR"), "product_discount.wasm"), "--ep", DISCOUNT_EP,
            "--scope", "shop-1", "--config", "@#{example('config.json')}", "--registry", registry)
      behave = File.join(dir, "behave.json")
      File.write(behave, JSON.generate(BEHAVE_DEFINITION))
      kiln!("ep", "create", behave, "--registry", registry)
      kiln!("deploy", File.join(ENV.fetch("KILN_GUEST_DIR"), "platform_behave.wasm"), "--ep", BEHAVE_EP,
            "--scope", "shop-1", "--name", "behave", "--registry", registry)
      @server = start_server("main", unix: File.join(dir, "kiln.sock"))
    end

    def teardown
      server&.stop
      FileUtils.rm_rf(dir) if dir
    end

    # Starts `kiln serve` on the registry and waits for its listeners.
    def start_server(name, listen: "127.0.0.1:0", unix: nil)
      log_path = File.join(dir, "serve-#{name}.log")
      # Room for the specs' threads: the default per-scope limit (workers / 2)
      # would answer some of them 429, which the client reports as not run.
      config = File.join(dir, "serve-#{name}.json")
      File.write(config, JSON.generate("workers" => 4, "per_scope_limit" => 8))
      args = [ENV.fetch("KILN_BINARY"), "serve", "--config", config, "--registry", registry, "--listen", listen]
      args += ["--unix", unix] if unix
      pid = Process.spawn(env, *args, out: log_path, err: [:child, :out], pgroup: true)
      urls = wait_for_listeners(pid, log_path, unix ? 2 : 1)
      Server.new(pid: pid, url: urls.find { |u| u.start_with?("http") }, unix_url: urls.find { |u| u.start_with?("unix") },
                 log_path: log_path)
    end

    def wait_for_listeners(pid, log_path, count)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
      loop do
        urls = File.exist?(log_path) ? File.read(log_path).scan(/listening on (\S+)/).flatten : []
        return urls if urls.size >= count
        raise "kiln serve exited: #{File.read(log_path)}" if Process.waitpid(pid, Process::WNOHANG)
        raise "kiln serve did not listen: #{File.read(log_path)}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

        sleep 0.02
      end
    end
  end
end

RSpec.configure do |config|
  config.before(:suite) do
    missing = KilnSpec.missing
    unless missing.empty?
      warn "kiln Ruby specs: SKIPPED, not set or not built: #{missing.join(', ')}"
      exit 77 # ctest's SKIP_RETURN_CODE
    end
    KilnSpec.setup
  end
  config.after(:suite) { KilnSpec.teardown }
end
