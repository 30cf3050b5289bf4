# frozen_string_literal: true

module Kiln
  # Stops calling a service that keeps failing. After `failures` failures in
  # a row it opens: calls are refused without touching the network. After
  # `cool_down` seconds (or the service's Retry-After when longer, at most a
  # minute) one call is let through (half-open); its success closes the
  # breaker, its failure opens it again. failures = 0: never opens.
  class CircuitBreaker
    MAX_COOL_DOWN = 60.0

    def initialize(failures:, cool_down:, clock: -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) })
      @threshold = failures
      @cool_down = cool_down
      @clock = clock
      @lock = Mutex.new
      @failures = 0
      @open_until = nil
      @trial_out = false
    end

    # May a call go out now? In the half-open state only one may.
    def allow?
      @lock.synchronize do
        return true if @open_until.nil?
        return false if @clock.call < @open_until || @trial_out

        @trial_out = true
      end
    end

    def succeeded
      @lock.synchronize do
        @failures = 0
        @open_until = nil
        @trial_out = false
      end
    end

    def failed(retry_after: 0)
      @lock.synchronize do
        @failures += 1
        @trial_out = false
        next if @threshold.zero? || (@failures < @threshold && @open_until.nil?)

        wait = [[@cool_down, retry_after.to_f].max, MAX_COOL_DOWN].min
        @open_until = @clock.call + wait
      end
    end

    def open?
      @lock.synchronize { !@open_until.nil? }
    end
  end
end
