# frozen_string_literal: true

require "json"
require "msgpack"
require "net/http"
require "socket"
require "uri"
require_relative "circuit_breaker"
require_relative "result"

module Kiln
  # Executes on a kiln service (`kiln serve`, docs/http-api.md) over HTTP/1.1
  # keep-alive: POST /v1/execute/{extension_point}?scope=S, MessagePack both
  # ways. When the service is down, slow or overloaded the call fails fast
  # with a :not_run result carrying the reason — the "no customisation"
  # answer a host already handles — and a circuit breaker stops trying for a
  # while (docs/remote-executor.md has the whole table; this client follows
  # it). Safe from many threads: each call takes a connection from a pool.
  class RemoteExecutor
    # url: "http://host:port[/prefix]" or "unix:/path/to.sock".
    # token: the service's execute token (never logged, never in a result).
    # timeout: seconds for connecting, writing and reading, each.
    def initialize(url:, token: nil, timeout: 0.25, pool_size: 16, breaker_failures: 5, breaker_cool_down: 1.0)
      @endpoint = Endpoint.parse(url)
      @token = token
      @timeout = timeout
      @pool_size = pool_size
      @idle = []
      @lock = Mutex.new
      @breaker = CircuitBreaker.new(failures: breaker_failures, cool_down: breaker_cool_down)
    end

    # input: a Hash (sent as MessagePack) or a String of JSON (sent as it is).
    def execute(extension_point, scope:, input:)
      return not_run(extension_point, scope, "io_error", "#{@endpoint}: circuit breaker open") unless @breaker.allow?

      content_type, body = encode(input)
      request = Net::HTTP::Post.new(@endpoint.execute_path(extension_point, scope), headers(content_type))
      request.body = body
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
      response = round_trip(request)
      elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - started
      answer(response, elapsed, extension_point, scope)
    rescue IOError, SystemCallError, Timeout::Error, Net::HTTPBadResponse, Net::ProtocolError, SocketError => e
      @breaker.failed
      not_run(extension_point, scope, "io_error", "#{@endpoint}: #{e.class.name.split('::').last}: #{e.message}")
    end

    def breaker_open? = @breaker.open?

    # Closes the idle connections.
    def close
      @lock.synchronize { @idle.each(&:finish).clear }
    rescue IOError
      nil
    end

    private

    def headers(content_type)
      h = { "Content-Type" => content_type, "Accept" => "application/msgpack", "Connection" => "keep-alive" }
      h["Authorization"] = "Bearer #{@token}" if @token && !@token.empty?
      h
    end

    def encode(input)
      return ["application/json", input] if input.is_a?(String)

      ["application/msgpack", MessagePack.pack(input)]
    end

    # One request on a pooled connection; a connection the service closed
    # while it was idle fails on first use, and the call is retried once on
    # a new one.
    def round_trip(request)
      http, reused = checkout
      begin
        response = http.request(request)
      rescue IOError, Errno::ECONNRESET, Errno::EPIPE
        http.finish if http.started?
        raise unless reused

        http = connect
        response = http.request(request)
      end
      checkin(http, response)
      response
    rescue StandardError
      http&.finish if http&.started?
      raise
    end

    def checkout
      idle = @lock.synchronize { @idle.pop }
      idle ? [idle, true] : [connect, false]
    end

    def checkin(http, response)
      keep = response["Connection"].to_s.downcase != "close"
      @lock.synchronize do
        if keep && @idle.size < @pool_size
          @idle.push(http)
          http = nil
        end
      end
      http&.finish
    end

    def connect
      http = @endpoint.http
      http.open_timeout = @timeout
      http.read_timeout = @timeout
      http.write_timeout = @timeout
      http.keep_alive_timeout = 30
      http.start
      http
    end

    # The answer as a Result, per docs/remote-executor.md's table.
    def answer(response, elapsed_ns, extension_point, scope)
      code = response.code.to_i
      body = decode(response)
      if body.is_a?(Hash) && body.key?("status")
        @breaker.succeeded
        total = body.dig("stages_ns", "total") || 0
        return Result.from_envelope(body, network_ns: [elapsed_ns - total, 0].max)
      end
      refused(code, body, response, extension_point, scope)
    end

    def refused(code, body, response, extension_point, scope)
      message = body.is_a?(Hash) ? body["message"].to_s : ""
      case code
      when 401, 403
        @breaker.succeeded
        error_result(extension_point, scope, :error, "invalid_argument", "the execute token was refused")
      when 413
        @breaker.succeeded
        error_result(extension_point, scope, :invalid_input, "invalid_input", message)
      when 429
        @breaker.succeeded
        not_run(extension_point, scope, "pool_exhausted", "#{@endpoint}: #{message}")
      when 503
        @breaker.failed(retry_after: response["Retry-After"].to_i)
        not_run(extension_point, scope, "pool_exhausted", "#{@endpoint}: #{message}")
      when 400..499
        @breaker.succeeded
        code_name = body.is_a?(Hash) && body["code"] ? body["code"].to_s : "invalid_argument"
        error_result(extension_point, scope, :error, code_name, message)
      else
        @breaker.failed
        not_run(extension_point, scope, "io_error", "#{@endpoint}: HTTP #{code} #{message}".strip)
      end
    end

    def decode(response)
      text = response.body.to_s
      return nil if text.empty?

      type = response["Content-Type"].to_s
      type.include?("msgpack") ? MessagePack.unpack(text) : JSON.parse(text, max_nesting: false)
    rescue JSON::ParserError, MessagePack::MalformedFormatError, EOFError
      nil
    end

    def not_run(extension_point, scope, code, message)
      error_result(extension_point, scope, :not_run, code, message)
    end

    def error_result(extension_point, scope, status, code, message)
      Result.new(status: status, output: nil, error: ExecError.new(code: code, message: message),
                 extension_point: extension_point.to_s, scope: scope.to_s)
    end

    # Where the service is: TCP host and port with a path prefix, or a
    # Unix socket.
    class Endpoint
      attr_reader :host, :port, :prefix, :socket_path

      def self.parse(url)
        if url.start_with?("unix:")
          path = url.delete_prefix("unix:").sub(%r{\A//(?=/)}, "")
          raise ArgumentError, "#{url}: no socket path" if path.empty?

          return new(socket_path: path)
        end
        uri = URI.parse(url)
        raise ArgumentError, "#{url}: only http:// and unix: are supported" unless uri.scheme == "http" && uri.host

        new(host: uri.host, port: uri.port, prefix: uri.path.chomp("/"))
      rescue URI::InvalidURIError => e
        raise ArgumentError, "#{url}: #{e.message}"
      end

      def initialize(host: nil, port: nil, prefix: "", socket_path: nil)
        @host = host
        @port = port
        @prefix = prefix
        @socket_path = socket_path
      end

      def http
        socket_path ? UnixHTTP.for(socket_path) : Net::HTTP.new(host, port)
      end

      def execute_path(extension_point, scope)
        "#{prefix}/v1/execute/#{escape(extension_point)}?scope=#{escape(scope)}"
      end

      def to_s = socket_path ? "unix:#{socket_path}" : "#{host}:#{port}"

      private

      def escape(text) = URI.encode_www_form_component(text.to_s).gsub("+", "%20")
    end

    # Net::HTTP over a Unix domain socket (the sidecar case): the same
    # protocol code, another way to open the connection.
    class UnixHTTP < Net::HTTP
      attr_accessor :socket_path

      # (Net::HTTP.new is a factory that passes its own arguments on.)
      def self.for(socket_path) = new("localhost").tap { |http| http.socket_path = socket_path }

      def connect
        io = Timeout.timeout(open_timeout) { UNIXSocket.new(socket_path) }
        @socket = Net::BufferedIO.new(io, read_timeout: read_timeout, write_timeout: write_timeout,
                                          continue_timeout: continue_timeout, debug_output: nil)
        on_connect
      end
    end
  end
end
