# frozen_string_literal: true

require "json"
require_relative "native"
require_relative "result"

module Kiln
  # Executes in this process: libkiln.so's executor on a registry file that
  # `kiln deploy` (or a kiln service sharing the file) fills. Deploys made
  # while it is open are picked up within `poll_ms`. Safe from many threads.
  class InProcessExecutor
    # registry: the registry file; nil: kiln's default (see kiln.h).
    def initialize(registry: nil, poll_ms: 0)
      config = Native::ExecutorConfig.new
      Native.kiln_executor_config_init(config)
      registry_string = registry && FFI::MemoryPointer.from_string(registry.to_s)
      config[:registry] = registry_string if registry_string
      config[:poll_ms] = poll_ms
      out = FFI::MemoryPointer.new(:pointer)
      status = Native.kiln_executor_new(config, out)
      raise Kiln::Error.new(Native.error_code(status), Native.kiln_last_error) unless status.zero?

      @handle = FFI::AutoPointer.new(out.read_pointer, Native.method(:kiln_executor_delete))
    end

    # input: a Hash (turned into JSON) or a String of JSON, passed as it is.
    def execute(extension_point, scope:, input:)
      bytes = input.is_a?(String) ? input : JSON.generate(input)
      out = FFI::MemoryPointer.new(:pointer)
      status = Native.kiln_executor_execute(@handle, extension_point.to_s, scope.to_s, bytes, bytes.bytesize, out)
      raise ArgumentError, Native.kiln_last_error unless status.zero?

      result = out.read_pointer
      begin
        to_result(result)
      ensure
        Native.kiln_exec_result_delete(result)
      end
    end

    # Frees the native executor now rather than at garbage collection.
    def close
      @handle.free
    end

    private

    def to_result(result)
      d = Native::ExecDetails.new
      Native.kiln_exec_result_details(result, d)
      Result.new(status: Result::STATUSES.fetch(d[:status]), output_json: read_text(result, :kiln_exec_result_output),
                 error: error_of(d), log: read_text(result, :kiln_exec_result_log) || "",
                 log_truncated: d[:log_truncated], exit_code: d[:exit_code],
                 extension_point: d[:extension_point], scope: d[:scope], matched_scope: d[:matched_scope],
                 extension: d[:extension], version: d[:version], module_sha256: d[:module_sha256],
                 backend: d[:backend], fuel_used: d[:fuel_used], fuel_limit: d[:fuel_limit],
                 memory_peak_bytes: d[:memory_peak_bytes], memory_limit_bytes: d[:memory_limit_bytes],
                 run_ns: d[:run_ns], time_limit_ns: d[:time_limit_ns], network_ns: d[:network_ns],
                 input_bytes: d[:input_bytes], input_validated: d[:input_validated],
                 stages_ns: Result::STAGES.each_with_index.to_h { |stage, i| [stage, d[:stage_ns][i]] })
    end

    def error_of(details)
      return nil if details[:error_kind].zero?

      pointer = details[:error_pointer]
      ExecError.new(code: Native.error_code(details[:error_kind]), message: details[:error_message],
                    pointer: pointer.empty? ? nil : pointer)
    end

    # Copies (pointer, size) text out of the result, UTF-8; nil for NULL.
    def read_text(result, function)
      size = FFI::MemoryPointer.new(:size_t)
      pointer = Native.public_send(function, result, size)
      return nil if pointer.null?

      pointer.read_bytes(size.read(:size_t)).force_encoding(Encoding::UTF_8)
    end
  end
end
