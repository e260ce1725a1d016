#if canImport(Glibc)
import Glibc
#endif

/// Gives the memory the C allocator holds free back to the system (glibc's `malloc_trim(0)`): after a stage cycle
/// most of what the cycle allocated is free, but each thread's arena keeps its pages, so the process's resident
/// memory is the sum of every arena's high-water mark. Not in Glibc's module map, so it is looked up once by name;
/// where the allocator has none, this does nothing. Stage loops call it after a cycle that did work.
package enum FreedMemory {
    private typealias Trim = @convention(c) (Int) -> Int32
    private static let trim: Trim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
        #else
        return nil
        #endif
    }()

    /// Returns the allocator's free pages to the system.
    package static func release() {
        _ = trim?(0)
    }
}
