# frozen_string_literal: true

require "spec_helper"
require "kiln"

# The same expectations, word for word, for every way of executing: that
# is the promise of Kiln::Executor.
RSpec.shared_examples "a kiln executor" do
  let(:discount_input) { JSON.parse(File.read(KilnSpec.example("input.json"))) }
  let(:discount_output) { JSON.parse(File.read(KilnSpec.example("expected_output.json"))) }

  def behave(mode, scope: "shop-1", **extra)
    executor.execute(KilnSpec::BEHAVE_EP, scope: scope, input: { "mode" => mode }.merge(extra))
  end

  it "runs the discount example and reports what it cost" do
    result = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: discount_input)
    expect(result.status).to eq(:ok), result.error.to_s
    expect(result).to be_ok
    expect(result.error).to be_nil
    expect(result.output).to eq(discount_output)
    expect(JSON.parse(result.output_json)).to eq(discount_output)
    expect(result.extension_point).to eq(KilnSpec::DISCOUNT_EP)
    expect(result.scope).to eq("shop-1")
    expect(result.matched_scope).to eq("shop-1")
    expect(result.version).to eq(1)
    expect(result.module_sha256).to match(/\A\h{64}\z/)
    expect(result.fuel_used).to be_between(1, result.fuel_limit)
    expect(result.memory_limit_bytes).to eq(16 << 20)
    expect(result.memory_peak_bytes).to be_positive
    expect(result.time_limit_ns).to eq(50_000_000)
    expect(result.input_validated?).to be(true)
    expect(result.stages_ns[:run]).to be_positive
    expect(result.stages_ns[:total]).to be >= result.stages_ns[:run]
    expect(result.overhead_ns).to be_positive
  end

  it "takes the input as JSON text as well as a Hash" do
    result = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: File.read(KilnSpec.example("input.json")))
    expect(result.output).to eq(discount_output)
  end

  it "answers not run, without an error, where nothing is deployed for the scope" do
    result = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-2", input: discount_input)
    expect(result.status).to eq(:not_run)
    expect(result).to be_not_run
    expect(result.error).to be_nil
    expect(result.output).to be_nil
  end

  it "names the bad value of an input the schema refuses" do
    result = behave("echo", "cart" => { "lines" => [{ "quantity" => 0 }] })
    expect(result.status).to eq(:invalid_input)
    expect(result.error.code).to eq("invalid_input")
    expect(result.error.pointer).to eq("/cart/lines/0/quantity")
  end

  it "reports a guest's own failure with its exit code and log" do
    result = behave("exit3")
    expect(result.status).to eq(:extension_failed)
    expect(result.exit_code).to eq(3)
    expect(result.log).to eq("giving up: bad cart\n")
    expect(result.error.code).to eq("extension_failed")
  end

  it "reports a trap and running out of fuel, and carries on" do
    expect(behave("trap").status).to eq(:trapped)
    expect(behave("trap").error.code).to eq("trap")
    spun = behave("spin")
    expect(spun.status).to eq(:out_of_fuel)
    expect(spun.fuel_used).to be >= spun.fuel_limit
    expect(behave("plain").output).to eq("result" => 1)
  end

  it "names the bad value of an output the schema refuses" do
    result = behave("badshape")
    expect(result.status).to eq(:invalid_output)
    expect(result.error.pointer).to eq("/result")
  end

  it "says not_found for an extension point that does not exist" do
    result = executor.execute("no.such.point", scope: "shop-1", input: {})
    expect(result.status).to eq(:error)
    expect(result.error.code).to eq("not_found")
    expect(result.error.message).to include("no.such.point")
  end

  it "runs calls from many threads at once" do
    threads = Array.new(4) do
      Thread.new { Array.new(10) { executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: discount_input) } }
    end
    results = threads.flat_map(&:value)
    expect(results.map(&:status).uniq).to eq([:ok])
    expect(results.map(&:output).uniq).to eq([discount_output])
  end
end

RSpec.describe "Kiln::Executor.in_process" do
  let(:executor) { Kiln::Executor.in_process(registry: KilnSpec.registry) }

  include_examples "a kiln executor"

  it "spends no time on a network" do
    result = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: {})
    expect(result.network_ns).to eq(0)
  end

  it "raises Kiln::Error, naming the file, for a registry it cannot open" do
    expect { Kiln::Executor.in_process(registry: "/proc/kiln-no-such/registry.db") }
      .to raise_error(Kiln::Error, %r{/proc/kiln-no-such}) { |e| expect(e.code).to eq("io_error") }
  end
end

RSpec.describe "Kiln::Executor.remote over TCP" do
  let(:executor) { Kiln::Executor.remote(url: KilnSpec.server.url, token: KilnSpec::EXEC_TOKEN, timeout: 5) }

  include_examples "a kiln executor"

  it "measures the network beside the service's stages" do
    result = executor.execute(KilnSpec::DISCOUNT_EP, scope: "shop-1", input: {})
    expect(result.network_ns).to be_positive
  end
end

RSpec.describe "Kiln::Executor.remote over a Unix socket" do
  let(:executor) { Kiln::Executor.remote(url: KilnSpec.server.unix_url, token: KilnSpec::EXEC_TOKEN, timeout: 5) }

  include_examples "a kiln executor"
end
