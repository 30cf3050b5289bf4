# frozen_string_literal: true

require_relative "lib/kiln/version"

Gem::Specification.new do |spec|
  spec.name = "kiln"
  spec.version = Kiln::VERSION
  spec.summary = "Run kiln extensions in process (libkiln.so) or on a kiln service, through one API"
  spec.authors = ["The kiln developers"]
  spec.license = "Apache-2.0"
  spec.files = Dir["lib/**/*.rb"] + ["README.md"]
  spec.required_ruby_version = ">= 3.0"
  spec.add_dependency "ffi", ">= 1.15"
  spec.add_dependency "msgpack", ">= 1.4"
  spec.add_development_dependency "rspec", ">= 3.12"
end
