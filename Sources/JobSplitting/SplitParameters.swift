import Foundation

/// The splitting kwargs of a subscription, with WMCore's parameter names (`events_per_job`, `lumis_per_job`, ...).
///
/// Getters convert the way WMCore's `int(kwargs.get(name, default))` / `bool(...)` do and throw
/// `SplittingError.invalidParameter` when a value cannot be converted.
public struct SplitParameters: Sendable, Hashable {
    /// The raw values by parameter name.
    public var values: [String: ParameterValue]

    /// Wraps a dictionary of values.
    public init(_ values: [String: ParameterValue] = [:]) {
        self.values = values
    }

    /// Reads a JSON object of parameters.
    public init(json: Data) throws {
        do {
            values = try JSONDecoder().decode([String: ParameterValue].self, from: json)
        } catch {
            throw SplittingError.malformedParameters(reason: "expected a JSON object of parameters (\(error))")
        }
    }

    /// The raw value of `name`, or `nil` when absent.
    public subscript(name: String) -> ParameterValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// The largest magnitude of a numeric parameter (10^15): counts, sizes, events and seconds all lie far below, and
    /// sums and products of two of them stay inside `Int`.
    public static let maxMagnitude = 1_000_000_000_000_000

    /// `int(kwargs.get(name, default))`, refused beyond ±`maxMagnitude`.
    public func int(_ name: String, default defaultValue: Int) throws -> Int {
        guard let value = values[name] else { return defaultValue }
        guard let converted = value.coercedInt else {
            throw SplittingError.invalidParameter(name: name, expected: "an integer", found: value.typeName)
        }
        guard (-Self.maxMagnitude...Self.maxMagnitude).contains(converted) else {
            throw SplittingError.invalidParameter(name: name, expected: "an integer from -\(Self.maxMagnitude) to \(Self.maxMagnitude)",
                                                  found: String(converted))
        }
        return converted
    }

    /// `float(kwargs.get(name, default))`, refused when not finite or beyond ±`maxMagnitude`.
    public func double(_ name: String, default defaultValue: Double) throws -> Double {
        guard let value = values[name] else { return defaultValue }
        guard let converted = value.coercedDouble else {
            throw SplittingError.invalidParameter(name: name, expected: "a number", found: value.typeName)
        }
        return try Self.bounded(converted, name: name)
    }

    /// `value` when finite and within ±`maxMagnitude`.
    private static func bounded(_ value: Double, name: String) throws -> Double {
        guard value.isFinite, abs(value) <= Double(maxMagnitude) else {
            throw SplittingError.invalidParameter(name: name, expected: "a finite number from -\(maxMagnitude) to \(maxMagnitude)",
                                                  found: String(value))
        }
        return value
    }

    /// `bool(kwargs.get(name, default))` (Python truthiness).
    public func bool(_ name: String, default defaultValue: Bool) -> Bool {
        values[name]?.isTruthy ?? defaultValue
    }

    /// A string parameter.
    public func string(_ name: String, default defaultValue: String) throws -> String {
        guard let value = values[name] else { return defaultValue }
        guard case .string(let s) = value else {
            throw SplittingError.invalidParameter(name: name, expected: "a string", found: value.typeName)
        }
        return s
    }

    /// A list of integers (e.g. `runWhitelist`); absent or `null` gives an empty list.
    public func intList(_ name: String) throws -> [Int] {
        guard let value = values[name], value != .null else { return [] }
        guard case .array(let items) = value else {
            throw SplittingError.invalidParameter(name: name, expected: "a list of integers", found: value.typeName)
        }
        return try items.map { item in
            guard let i = item.coercedInt else {
                throw SplittingError.invalidParameter(name: name, expected: "a list of integers",
                                                      found: "a list containing a \(item.typeName)")
            }
            return i
        }
    }

    /// A list of scalars as strings (e.g. `runs`, `lumis`); absent, `null` or empty gives `nil`.
    public func stringList(_ name: String) throws -> [String]? {
        guard let value = values[name], value.isTruthy else { return nil }
        guard case .array(let items) = value else {
            throw SplittingError.invalidParameter(name: name, expected: "a list of strings", found: value.typeName)
        }
        return try items.map { item in
            guard let s = item.coercedString else {
                throw SplittingError.invalidParameter(name: name, expected: "a list of strings",
                                                      found: "a list containing a \(item.typeName)")
            }
            return s
        }
    }

    /// The `performance` dictionary, read like `JobFactory.getPerformanceParameters` (missing or null → 0).
    public func performance() throws -> PerformanceParameters {
        guard let value = values["performance"], value != .null else { return PerformanceParameters() }
        guard case .object(let perf) = value else {
            throw SplittingError.invalidParameter(name: "performance", expected: "an object", found: value.typeName)
        }
        func read(_ key: String) throws -> Double {
            guard let v = perf[key], v.isTruthy else { return 0 }
            guard let d = v.coercedDouble else {
                throw SplittingError.invalidParameter(name: "performance.\(key)", expected: "a number", found: v.typeName)
            }
            return try Self.bounded(d, name: "performance.\(key)")
        }
        return PerformanceParameters(timePerEvent: try read("timePerEvent"), sizePerEvent: try read("sizePerEvent"),
                                     memoryRequirement: try read("memoryRequirement"))
    }
}

/// The resource figures of `performance`: seconds and kB per event, and memory (MB).
public struct PerformanceParameters: Hashable, Sendable {
    /// Seconds per event.
    public var timePerEvent: Double
    /// Disk (kB) per event.
    public var sizePerEvent: Double
    /// Memory requirement (MB).
    public var memoryRequirement: Double

    /// Makes the figures; all zero by default.
    public init(timePerEvent: Double = 0, sizePerEvent: Double = 0, memoryRequirement: Double = 0) {
        self.timePerEvent = timePerEvent
        self.sizePerEvent = sizePerEvent
        self.memoryRequirement = memoryRequirement
    }
}
