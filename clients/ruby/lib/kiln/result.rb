# frozen_string_literal: true

require "json"

module Kiln
  # Why a call did not succeed: a stable code ("invalid_input",
  # "not_found", "io_error", ...: kiln's error kinds, as the service's
  # JSON names them), a one-line message, and the JSON Pointer of the bad
  # value when there is one.
  ExecError = Struct.new(:code, :message, :pointer, keyword_init: true) do
    def to_s
      pointer ? "#{code}: #{message} (at #{pointer})" : "#{code}: #{message}"
    end
  end

  # One execution: how it ended, the output, the log, what it cost and
  # where the time went. The same object whichever executor made it.
  class Result
    # How a call can end (kiln's ExecStatus, in its order).
    STATUSES = %i[ok not_run invalid_input invalid_output extension_failed trapped out_of_fuel deadline error].freeze
    # The stages of the execute path, in order (docs/platform.md).
    STAGES = %i[lookup validate_input serialize acquire run read_output validate_output total].freeze

    attr_reader :status, :error, :log, :exit_code, :extension_point, :scope, :matched_scope, :extension,
                :version, :module_sha256, :backend, :fuel_used, :fuel_limit, :memory_peak_bytes,
                :memory_limit_bytes, :run_ns, :time_limit_ns, :network_ns, :input_bytes, :stages_ns

    # `output_json` is the guest's output as JSON text (nil when it did not
    # run); `output` the value already parsed, when the caller has it.
    def initialize(status:, output_json: nil, output: :unparsed, error: nil, log: "", log_truncated: false,
                   exit_code: 0, extension_point: "", scope: "", matched_scope: "", extension: "", version: 0,
                   module_sha256: "", backend: "", fuel_used: 0, fuel_limit: 0, memory_peak_bytes: 0,
                   memory_limit_bytes: 0, run_ns: 0, time_limit_ns: 0, network_ns: 0, input_bytes: 0,
                   input_validated: false, stages_ns: {})
      raise ArgumentError, "unknown status #{status.inspect}" unless STATUSES.include?(status)

      @status = status
      @output_json = output_json
      @output = output
      @error = error
      @log = log
      @log_truncated = log_truncated
      @exit_code = exit_code
      @extension_point = extension_point
      @scope = scope
      @matched_scope = matched_scope
      @extension = extension
      @version = version
      @module_sha256 = module_sha256
      @backend = backend
      @fuel_used = fuel_used
      @fuel_limit = fuel_limit
      @memory_peak_bytes = memory_peak_bytes
      @memory_limit_bytes = memory_limit_bytes
      @run_ns = run_ns
      @time_limit_ns = time_limit_ns
      @network_ns = network_ns
      @input_bytes = input_bytes
      @input_validated = input_validated
      @stages_ns = STAGES.to_h { |stage| [stage, stages_ns.fetch(stage, 0)] }.freeze
    end

    # The output, parsed (Hash, Array, ...), or nil when the guest did not
    # produce one. An output that is not JSON (an invalid_output result)
    # stays a String.
    def output
      return @output unless @output == :unparsed

      @output = parse_output
    end

    def output_json
      @output_json ||= @output == :unparsed || @output.nil? ? nil : JSON.generate(@output)
    end

    def ok? = status == :ok
    def not_run? = status == :not_run
    def log_truncated? = @log_truncated
    def input_validated? = @input_validated

    # What the host paid beyond the guest's own run: kiln's stages plus,
    # remotely, the network.
    def overhead_ns = stages_ns[:total] - stages_ns[:run] + network_ns

    def to_h
      {
        status: status, output: output, error: error&.to_h, log: log, log_truncated: log_truncated?,
        exit_code: exit_code, extension_point: extension_point, scope: scope, matched_scope: matched_scope,
        extension: extension, version: version, module_sha256: module_sha256, backend: backend,
        fuel: { used: fuel_used, limit: fuel_limit },
        memory: { peak_bytes: memory_peak_bytes, limit_bytes: memory_limit_bytes },
        time: { run_ns: run_ns, limit_ns: time_limit_ns }, network_ns: network_ns, input_bytes: input_bytes,
        input_validated: input_validated?, stages_ns: stages_ns
      }
    end

    def inspect
      detail = error ? " #{error}" : ""
      "#<Kiln::Result #{status} #{extension_point}@#{scope}#{detail}>"
    end

    # A result from the body kiln's service answers with (and `kiln exec
    # --json` prints), parsed from JSON or MessagePack into a Hash with
    # string keys. `network_ns` is the client's own measurement.
    def self.from_envelope(body, network_ns: 0)
      fuel = body["fuel"] || {}
      memory = body["memory"] || {}
      time = body["time"] || {}
      stages = body["stages_ns"] || {}
      new(status: status_named(body["status"]), output: body.key?("output") ? body["output"] : nil,
          error: error_from(body["error"]), log: body["log"] || "", log_truncated: body["log_truncated"] == true,
          exit_code: body["exit_code"] || 0, extension_point: body["extension_point"] || "",
          scope: body["scope"] || "", matched_scope: body["matched_scope"] || "",
          extension: body["extension"] || "", version: body["version"] || 0,
          module_sha256: body["module_sha256"] || "", backend: body["backend"] || "",
          fuel_used: fuel["used"] || 0, fuel_limit: fuel["limit"] || 0,
          memory_peak_bytes: memory["peak_bytes"] || 0, memory_limit_bytes: memory["limit_bytes"] || 0,
          run_ns: time["run_ns"] || 0, time_limit_ns: time["limit_ns"] || 0, network_ns: network_ns,
          input_bytes: body["input_bytes"] || 0, input_validated: body["input_validated"] == true,
          stages_ns: STAGES.to_h { |stage| [stage, stages[stage.to_s] || 0] })
    end

    # The statuses by the names kiln's JSON gives them ("not run", "trap", ...).
    STATUS_NAMES = {
      "ok" => :ok, "not run" => :not_run, "invalid input" => :invalid_input, "invalid output" => :invalid_output,
      "extension failed" => :extension_failed, "trap" => :trapped, "out of fuel" => :out_of_fuel,
      "deadline" => :deadline, "error" => :error
    }.freeze

    # An unknown name is a protocol error.
    def self.status_named(name)
      STATUS_NAMES.fetch(name) { raise ProtocolError, "unknown result status #{name.inspect}" }
    end

    def self.error_from(object)
      return nil unless object.is_a?(Hash)

      ExecError.new(code: object["code"].to_s, message: object["message"].to_s, pointer: object["pointer"])
    end

    private

    def parse_output
      return nil if @output_json.nil?

      JSON.parse(@output_json, max_nesting: false)
    rescue JSON::ParserError
      @output_json
    end
  end

  # The service answered something that is not kiln's protocol.
  class ProtocolError < StandardError; end
end
