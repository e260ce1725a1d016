import Dispatch
import Foundation

/// Result slots that concurrent workers fill, one slot per worker (each writes only its own).
package final class UnsafeSlots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value?>
    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }
    deinit {
        _ = storage.deinitialize()
        storage.deallocate()
    }
    subscript(index: Int) -> Value? {
        get { storage[index] }
        set { storage[index] = newValue }
    }
    var values: [Value?] { Array(storage) }
}

/// Runs `body` over `0..<count` cut into one contiguous slice per core (a single slice when `count` is
/// below `serialBelow`) and joins the slices' results in order; the first error thrown is rethrown.
package func concurrentSlices<T>(_ count: Int, serialBelow: Int, _ body: (Range<Int>) throws -> [T]) throws -> [T] {
    let slices = count < serialBelow ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    if slices == 1 { return try body(0..<count) }
    let results = UnsafeSlots<Result<[T], Error>>(count: slices)
    withoutActuallyEscaping(body) { body in
        let shared = UnsafeShared(body)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            results[slice] = Result { try shared.value((count * slice / slices)..<(count * (slice + 1) / slices)) }
        }
    }
    return try results.values.flatMap { try $0!.get() }
}

/// A value handed to concurrent workers that only read it.
private final class UnsafeShared<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
