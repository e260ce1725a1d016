import Foundation

/// One JSON number as scanned: where its text is and what the conversions need.
public struct JSONNumber: Sendable {
    /// Offset of the number's first byte (its sign or first digit).
    public var start: Int
    /// Offset just past its last byte.
    public var end: Int
    /// True when the text starts with `-`.
    public var isNegative: Bool
    /// True when the text has neither fraction nor exponent.
    public var isIntegerLiteral: Bool
    /// The integer part's digits as a number (literals only), with `magnitudeOverflowed` when it did not fit.
    public var magnitude: UInt64
    /// True when the integer part does not fit in 64 bits.
    public var magnitudeOverflowed: Bool
    /// Every digit (integer and fraction) as a number, while it stays below 2^53.
    public var significand: UInt64
    /// True when `significand` holds every digit exactly (fewer than 2^53).
    public var significandIsExact: Bool
    /// The power of ten `significand` is to be multiplied by (explicit exponent minus fraction digits).
    public var decimalExponent: Int
    /// True when every digit is zero (the number is a true zero, not an underflow).
    public var isZero: Bool
}

extension JSONByteReader {
    /// Scans a number (RFC 8259 grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    public mutating func number() -> JSONNumber? {
        skipSpace()
        let start = position
        var number = JSONNumber(start: start, end: start, isNegative: false, isIntegerLiteral: true, magnitude: 0,
                                magnitudeOverflowed: false, significand: 0, significandIsExact: true, decimalExponent: 0, isZero: true)
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
            number.isNegative = true
            position += 1
        }
        guard let first = digit() else { return fail(.invalidNumber(at: start)) }
        addDigit(first, to: &number, inFraction: false)
        if first != 0 {
            while let next = digit() { addDigit(next, to: &number, inFraction: false) }
        } else if digit() != nil {
            return fail(.invalidNumber(at: start))
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            number.isIntegerLiteral = false
            guard let fractionDigit = digit() else { return fail(.invalidNumber(at: start)) }
            addDigit(fractionDigit, to: &number, inFraction: true)
            while let next = digit() { addDigit(next, to: &number, inFraction: true) }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            number.isIntegerLiteral = false
            var negativeExponent = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                negativeExponent = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            guard var exponent = digit().map(Int.init) else { return fail(.invalidNumber(at: start)) }
            while let next = digit() { exponent = min(exponent * 10 + Int(next), 1_000_000) }
            number.decimalExponent += negativeExponent ? -exponent : exponent
        }
        number.end = position
        return number
    }

    private mutating func digit() -> UInt8? {
        guard position < bytes.count else { return nil }
        let value = bytes[position] &- UInt8(ascii: "0")
        guard value < 10 else { return nil }
        position += 1
        return value
    }

    private func addDigit(_ value: UInt8, to number: inout JSONNumber, inFraction: Bool) {
        if value != 0 { number.isZero = false }
        if !inFraction, !number.magnitudeOverflowed {
            let (times, o1) = number.magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(value))
            if o1 || o2 { number.magnitudeOverflowed = true } else { number.magnitude = sum }
        }
        if number.significandIsExact {
            let next = number.significand &* 10 &+ UInt64(value)
            if number.significand < 1 << 50, next <= 1 << 53 {
                number.significand = next
                if inFraction { number.decimalExponent -= 1 }
                return
            }
            number.significandIsExact = false
        }
        if !inFraction { number.decimalExponent += 1 }
    }

    /// The number's text.
    public func text(of number: JSONNumber) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[number.start..<number.end]), as: UTF8.self)
    }

    /// The number as the C library's `strtod` reads it (what `JSONDecoder` uses): exactly rounded, ±infinity
    /// when too large, ±0 when too small.
    public func strtodValue(of number: JSONNumber) -> Double {
        // Clinger's fast path: a significand below 2^53 and a power of ten below 10^23 are both exact
        // doubles, so one multiplication or division rounds correctly.
        if number.significandIsExact, abs(number.decimalExponent) <= 22 {
            let significand = Double(number.significand)
            let scale = Self.powersOfTen[abs(number.decimalExponent)]
            let value = number.decimalExponent < 0 ? significand / scale : significand * scale
            return number.isNegative ? -value : value
        }
        return Double(text(of: number)) ?? .nan
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var power = 1.0
        for _ in 0..<exponent { power *= 10 }
        return power
    }

    /// The number as `JSONDecoder` decodes a `Double`: refused when it overflows to infinity or
    /// underflows to zero from non-zero digits.
    public func doubleValue(of number: JSONNumber) -> Double? {
        let value = strtodValue(of: number)
        guard value.isFinite, value != 0 || number.isZero else { return nil }
        return value
    }

    /// The number as `JSONDecoder` decodes an integer type: a literal exactly; any other number through
    /// its double, which must be whole and in range — below 2^53 that double is the value, from 2^53 up
    /// `JSONDecoder` reads the text again as a `Decimal` (done here by `JSONDecoder` itself).
    public func integerValue<T: FixedWidthInteger & Decodable>(of number: JSONNumber, as type: T.Type = T.self) -> T? {
        if number.isIntegerLiteral, !number.magnitudeOverflowed {
            if !number.isNegative || number.magnitude == 0 {
                if let value = T(exactly: number.magnitude) { return value }
            } else if T.isSigned, let belowMagnitude = T(exactly: number.magnitude - 1) {
                return 0 - belowMagnitude - 1
            }
        }
        let double = strtodValue(of: number)
        guard let value = T(exactly: double) else { return nil }
        if double.magnitude < 0x1p53 { return value }
        return try? JSONDecoder().decode(T.self, from: Data(text(of: number).utf8))
    }

    /// Reads a number as an `Int`, as `JSONDecoder` does.
    public mutating func int() -> Int? {
        guard let number = number() else { return nil }
        return integerValue(of: number) ?? fail(.numberOutOfRange(text(of: number), at: number.start, type: "Int"))
    }

    /// Reads a number as a `UInt64`, as `JSONDecoder` does.
    public mutating func uint64() -> UInt64? {
        guard let number = number() else { return nil }
        return integerValue(of: number) ?? fail(.numberOutOfRange(text(of: number), at: number.start, type: "UInt64"))
    }

    /// Reads a number as a `Double`, as `JSONDecoder` does.
    public mutating func double() -> Double? {
        guard let number = number() else { return nil }
        return doubleValue(of: number) ?? fail(.numberOutOfRange(text(of: number), at: number.start, type: "Double"))
    }
}
