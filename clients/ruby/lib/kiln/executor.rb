# frozen_string_literal: true

module Kiln
  # A failure to set an executor up (a registry that cannot be opened, a
  # bad URL, libkiln.so missing). Executions never raise it: their
  # failures are results.
  class Error < StandardError
    attr_reader :code

    def initialize(code, message)
      super(message)
      @code = code
    end
  end

  # The one execution API. Every executor answers
  # `execute(extension_point, scope:, input:) -> Kiln::Result`.
  module Executor
    # In this process, through libkiln.so (loaded on first use).
    def self.in_process(registry: nil, poll_ms: 0)
      require_relative "in_process_executor"
      InProcessExecutor.new(registry: registry, poll_ms: poll_ms)
    end

    # On a kiln service over HTTP; see RemoteExecutor for the options.
    def self.remote(url:, token: nil, **options)
      require_relative "remote_executor"
      RemoteExecutor.new(url: url, token: token, **options)
    end

    # The executor a configuration names, so that switching is a
    # configuration change:
    #   { "executor" => "in_process", "registry" => "/var/lib/kiln/registry.db" }
    #   { "executor" => "remote", "url" => "http://127.0.0.1:8080",
    #     "token_env" => "KILN_EXEC_TOKEN", "timeout" => 0.25 }
    # plus, optionally, "scopes" => { "shop-7" => { ...another executor... } }
    # to run some scopes elsewhere (a beta, a canary service).
    def self.from_config(config)
      config = config.transform_keys(&:to_s)
      default = single_from_config(config)
      overrides = (config["scopes"] || {}).to_h { |scope, c| [scope.to_s, from_config(c)] }
      overrides.empty? ? default : ByScope.new(default, overrides)
    end

    KNOWN_OPTIONS = {
      "in_process" => %w[executor registry poll_ms scopes],
      "remote" => %w[executor url token_env timeout pool_size breaker_failures breaker_cool_down scopes]
    }.freeze

    def self.single_from_config(config)
      kind = config["executor"].to_s
      known = KNOWN_OPTIONS[kind] or
        raise ArgumentError, "executor: #{kind.inspect} is not one of #{KNOWN_OPTIONS.keys.join(', ')}"
      unknown = config.keys - known
      raise ArgumentError, "#{unknown.first}: unknown option for a #{kind} executor" unless unknown.empty?

      return in_process(registry: config["registry"], poll_ms: config.fetch("poll_ms", 0)) if kind == "in_process"

      options = config.slice("timeout", "pool_size", "breaker_failures", "breaker_cool_down").transform_keys(&:to_sym)
      remote(url: config.fetch("url"), token: config["token_env"] && ENV.fetch(config["token_env"]), **options)
    end
    private_class_method :single_from_config

    # Runs the scopes it names on their own executors, the rest on the default.
    class ByScope
      def initialize(default, overrides)
        @default = default
        @overrides = overrides
      end

      def execute(extension_point, scope:, input:)
        @overrides.fetch(scope.to_s, @default).execute(extension_point, scope: scope, input: input)
      end
    end
  end
end
