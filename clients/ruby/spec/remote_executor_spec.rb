# frozen_string_literal: true

require "socket"
require "spec_helper"
require "kiln"

RSpec.describe Kiln::RemoteExecutor do
  let(:input) { JSON.parse(File.read(KilnSpec.example("input.json"))) }

  it "turns a refused token into an error that does not repeat it" do
    executor = Kiln::Executor.remote(url: KilnSpec.server.url, token: "not-the-token", timeout: 5)
    result = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)
    expect(result.status).to eq(:error)
    expect(result.error.code).to eq("invalid_argument")
    expect(result.error.message).to eq("the execute token was refused")
    expect(result.inspect).not_to include("not-the-token")
  end

  it "answers not run at once when nothing listens, and opens its breaker" do
    port = TCPServer.open("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
    executor = Kiln::Executor.remote(url: "http://127.0.0.1:#{port}", token: KilnSpec::EXEC_TOKEN,
                                     breaker_failures: 2, breaker_cool_down: 60)
    first = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)
    expect(first.status).to eq(:not_run)
    expect(first.error.code).to eq("io_error")
    expect(first.error.message).to include("127.0.0.1:#{port}")
    executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)
    expect(executor).to be_breaker_open
    third = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)
    expect(third.status).to eq(:not_run)
    expect(third.error.message).to include("circuit breaker open")
  end

  it "gives up on a service that does not answer within the timeout" do
    silent = TCPServer.open("127.0.0.1", 0)
    accepted = []
    acceptor = Thread.new { loop { accepted << silent.accept } }
    executor = Kiln::Executor.remote(url: "http://127.0.0.1:#{silent.addr[1]}", timeout: 0.2)
    result = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)
    expect(result.status).to eq(:not_run)
    expect(result.error.code).to eq("io_error")
    expect(result.error.message).to match(/Timeout/i)
  ensure
    acceptor&.kill
    accepted&.each(&:close)
    silent&.close
  end

  it "closes its breaker again when a killed service comes back" do
    port = TCPServer.open("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
    server = KilnSpec.start_server("comeback", listen: "127.0.0.1:#{port}")
    executor = Kiln::Executor.remote(url: "http://127.0.0.1:#{port}", token: KilnSpec::EXEC_TOKEN, timeout: 5,
                                     breaker_failures: 1, breaker_cool_down: 0.2)
    expect(executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)).to be_ok
    server.stop
    down = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)
    expect(down.status).to eq(:not_run)
    expect(executor).to be_breaker_open
    server = KilnSpec.start_server("comeback-again", listen: "127.0.0.1:#{port}")
    sleep 0.3 # the cool-down
    expect(executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)).to be_ok
    expect(executor).not_to be_breaker_open
  ensure
    server&.stop
  end

  it "refuses URLs it cannot speak to" do
    expect { Kiln::Executor.remote(url: "https://example.com") }.to raise_error(ArgumentError, /only http/)
    expect { Kiln::Executor.remote(url: "unix:") }.to raise_error(ArgumentError, /no socket path/)
  end
end

RSpec.describe Kiln::CircuitBreaker do
  let(:now) { [100.0] }
  let(:breaker) { described_class.new(failures: 2, cool_down: 1.0, clock: -> { now[0] }) }

  it "opens after the threshold, lets one trial through after the cool-down, and closes on its success" do
    breaker.failed
    expect(breaker.allow?).to be(true)
    breaker.failed
    expect(breaker.allow?).to be(false)
    now[0] += 1.5
    expect(breaker.allow?).to be(true)
    expect(breaker.allow?).to be(false) # only one trial at a time
    breaker.succeeded
    expect(breaker.open?).to be(false)
    expect(breaker.allow?).to be(true)
  end

  it "waits for the service's Retry-After when it asks for longer, up to a minute" do
    2.times { breaker.failed(retry_after: 5) }
    now[0] += 4
    expect(breaker.allow?).to be(false)
    now[0] += 1.5
    expect(breaker.allow?).to be(true)
    breaker.failed(retry_after: 3600)
    now[0] += 59
    expect(breaker.allow?).to be(false)
    now[0] += 2
    expect(breaker.allow?).to be(true)
  end
end

RSpec.describe "Kiln::Executor.from_config" do
  let(:input) { JSON.parse(File.read(KilnSpec.example("input.json"))) }
  let(:expected) { JSON.parse(File.read(KilnSpec.example("expected_output.json"))) }

  around do |example|
    ENV["KILN_SPEC_TOKEN"] = KilnSpec::EXEC_TOKEN
    example.run
  ensure
    ENV.delete("KILN_SPEC_TOKEN")
  end

  it "switches between in process and remote by configuration alone" do
    local = Kiln::Executor.from_config("executor" => "in_process", "registry" => KilnSpec.registry)
    remote = Kiln::Executor.from_config("executor" => "remote", "url" => KilnSpec.server.url,
                                        "token_env" => "KILN_SPEC_TOKEN", "timeout" => 5)
    expect(local).to be_a(Kiln::InProcessExecutor)
    expect(remote).to be_a(Kiln::RemoteExecutor)
    [local, remote].each do |executor|
      expect(executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input).output).to eq(expected)
    end
  end

  it "runs the scopes it lists on their own executor" do
    executor = Kiln::Executor.from_config(
      executor: "in_process", registry: KilnSpec.registry,
      scopes: { "shop-1" => { "executor" => "remote", "url" => KilnSpec.server.url, "token_env" => "KILN_SPEC_TOKEN",
                              "timeout" => 5 } }
    )
    remote = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: input)
    expect(remote.network_ns).to be_positive
    local = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-2", input: input)
    expect(local.status).to eq(:not_run)
    expect(local.network_ns).to eq(0)
  end

  it "refuses unknown executors and options by name" do
    expect { Kiln::Executor.from_config("executor" => "carrier-pigeon") }
      .to raise_error(ArgumentError, /executor: "carrier-pigeon" is not one of in_process, remote/)
    expect { Kiln::Executor.from_config("executor" => "remote", "url" => "http://x", "token" => "t") }
      .to raise_error(ArgumentError, /token: unknown option/)
  end
end
