/// A strict (RFC 8259) cursor over JSON text in memory, for hand-written readers of known document shapes.
///
/// Each reading function skips leading whitespace, reads one token or value and returns it, or returns
/// nil (false) and records why in `failure` when the text is not what was asked for. Its conversions
/// follow `JSONDecoder` exactly (see `int()`, `double()`), so a reader built on it can return the same
/// values `JSONDecoder` would — and step aside (nil) wherever it is not certain.
///
/// The reader borrows the bytes: use it inside `JSONByteReader.read(_:_:)` only.
public struct JSONByteReader {
    /// The text being read.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Offset of the next byte to read.
    public var position = 0
    /// Why the last failed read failed (nil while nothing failed).
    public var failure: JSONParseError?
    /// Maximum nesting of arrays and objects, as `JSONDecoder`'s (512).
    public static let maximumDepth = 512

    /// Makes a reader over borrowed bytes (they must outlive it).
    public init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Runs `body` with a reader over `bytes`.
    @inlinable
    public static func read<Result>(_ bytes: some Collection<UInt8>, _ body: (inout JSONByteReader) -> Result) -> Result {
        if let result = bytes.withContiguousStorageIfAvailable({ buffer -> Result in
            var reader = JSONByteReader(bytes: buffer)
            return body(&reader)
        }) {
            return result
        }
        return Array(bytes).withUnsafeBufferPointer { buffer in
            var reader = JSONByteReader(bytes: buffer)
            return body(&reader)
        }
    }

    // MARK: Structure

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    @inlinable
    public mutating func skipSpace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    /// The next byte after whitespace, without consuming it (nil at the end).
    @inlinable
    public mutating func peek() -> UInt8? {
        skipSpace()
        return position < bytes.count ? bytes[position] : nil
    }

    /// Consumes `byte` (after whitespace) if it is next; otherwise records the failure and returns false.
    @inlinable
    @discardableResult
    public mutating func expect(_ byte: UInt8) -> Bool {
        if consume(byte) { return true }
        return fail(.unexpected(at: position, expected: "'\(Character(Unicode.Scalar(byte)))'"))
    }

    /// Consumes `byte` (after whitespace) if it is next; false (and no failure) otherwise.
    @inlinable
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// True when only whitespace is left; otherwise records trailing content as the failure.
    public mutating func atEnd() -> Bool {
        skipSpace()
        return position == bytes.count || fail(.trailingContent(at: position))
    }

    /// Records `problem` and returns false.
    @inlinable
    public mutating func fail(_ problem: JSONParseError) -> Bool {
        failure = problem
        return false
    }

    /// Records `problem` and returns nil.
    @inlinable
    public mutating func fail<T>(_ problem: JSONParseError, as type: T.Type = T.self) -> T? {
        failure = problem
        return nil
    }

    /// Reads `[element, ...]`, each element read by `element`; nil when the list or an element is not readable.
    @inlinable
    public mutating func list<T>(_ element: (inout JSONByteReader) -> T?) -> [T]? {
        guard expect(UInt8(ascii: "[")) else { return nil }
        var items: [T] = []
        if consume(UInt8(ascii: "]")) { return items }
        repeat {
            guard let item = element(&self) else { return nil }
            items.append(item)
        } while consume(UInt8(ascii: ","))
        return expect(UInt8(ascii: "]")) ? items : nil
    }

    /// Reads `{"key": value, ...}`: `member` is called with each key, positioned on its value, and must
    /// read the value (false stops reading, with failure). Keys come in document order, duplicates included.
    @inlinable
    public mutating func object(_ member: (inout JSONByteReader, String) -> Bool) -> Bool {
        guard expect(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = string(), expect(UInt8(ascii: ":")), member(&self, key) else { return false }
        } while consume(UInt8(ascii: ","))
        return expect(UInt8(ascii: "}"))
    }

    // MARK: Literals

    /// Reads `true` or `false`.
    public mutating func bool() -> Bool? {
        skipSpace()
        if match("true") { return true }
        if match("false") { return false }
        return fail(.unexpected(at: position, expected: "true or false"))
    }

    /// Consumes `null` if it is next (after whitespace); false (and no failure) otherwise.
    public mutating func null() -> Bool {
        skipSpace()
        return match("null")
    }

    /// Consumes the ASCII word if the text continues with it.
    @usableFromInline
    mutating func match(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for k in 0..<count where bytes[position + k] != word.utf8Start[k] { return false }
        position += count
        return true
    }
}

extension JSONByteReader {
    /// Reads `null` as `.some(nil)`, or a value with `read`; nil when neither is there.
    @inlinable
    public mutating func nullOr<T>(_ read: (inout JSONByteReader) -> T?) -> T?? {
        if null() { return .some(nil) }
        return read(&self).map { .some($0) }
    }
}

/// The keys of a fixed-shape object met so far, one bit each: lets a hand-written reader refuse a
/// repeated key (which `JSONDecoder` resolves its own way) and check that every required key came.
public struct SeenKeys {
    /// One bit per key index.
    public var bits: UInt64 = 0

    /// Makes an empty set.
    public init() {}

    /// Marks key `index` (0..<64) as met; false when it had been met already.
    @inlinable
    public mutating func first(_ index: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(index)
        defer { bits |= bit }
        return bits & bit == 0
    }

    /// True when every key index in `indices` was met.
    public func containsAll(_ indices: Range<Int>) -> Bool {
        indices.allSatisfy { bits & (1 << UInt64($0)) != 0 }
    }
}
