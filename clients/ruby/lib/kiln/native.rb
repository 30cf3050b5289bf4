# frozen_string_literal: true

require "ffi"

module Kiln
  # libkiln.so's executor functions (include/kiln/kiln.h, "Executing
  # extensions"), bound with FFI. Which library: $KILN_LIBRARY (a path),
  # else libkiln.so.0 from the system's library path.
  module Native
    extend FFI::Library

    LIBRARY = ENV.fetch("KILN_LIBRARY", "")
    ffi_lib(LIBRARY.empty? ? ["libkiln.so.0", "kiln"] : LIBRARY)

    STAGE_COUNT = 8

    # kiln_executor_config_t
    class ExecutorConfig < FFI::Struct
      layout :url, :pointer,
             :token, :pointer,
             :timeout_ms, :uint32,
             :registry, :pointer,
             :poll_ms, :uint32
    end

    # kiln_exec_details_t
    class ExecDetails < FFI::Struct
      layout :status, :int,
             :error_kind, :int,
             :error_message, :string,
             :error_pointer, :string,
             :extension_point, :string,
             :scope, :string,
             :matched_scope, :string,
             :extension, :string,
             :version, :int64,
             :module_sha256, :string,
             :backend, :string,
             :exit_code, :int32,
             :log_truncated, :bool,
             :input_validated, :bool,
             :input_bytes, :uint64,
             :fuel_used, :uint64,
             :fuel_limit, :uint64,
             :memory_peak_bytes, :uint64,
             :memory_limit_bytes, :uint64,
             :run_ns, :uint64,
             :time_limit_ns, :uint64,
             :network_ns, :uint64,
             :stage_ns, [:uint64, STAGE_COUNT]
    end

    attach_function :kiln_last_error, [], :string
    attach_function :kiln_status_name, [:int], :string
    attach_function :kiln_executor_config_init, [ExecutorConfig.by_ref], :void
    attach_function :kiln_executor_new, [ExecutorConfig.by_ref, :pointer], :int
    attach_function :kiln_executor_delete, [:pointer], :void
    # blocking: the guest runs without the GVL, so other Ruby threads go on.
    attach_function :kiln_executor_execute, %i[pointer string string buffer_in size_t pointer], :int,
                    blocking: true
    attach_function :kiln_exec_result_details, [:pointer, ExecDetails.by_ref], :void
    attach_function :kiln_exec_result_output, %i[pointer pointer], :pointer
    attach_function :kiln_exec_result_log, %i[pointer pointer], :pointer
    attach_function :kiln_exec_result_delete, [:pointer], :void

    # kiln_status_t's name as a Kiln::ExecError code: "out of fuel" -> "out_of_fuel".
    def self.error_code(kind) = kiln_status_name(kind).tr(" ", "_")
  end
end
