# frozen_string_literal: true

module Kiln
  VERSION = "0.1.0"
end
