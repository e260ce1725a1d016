import Foundation

/// Builds the gzip-compressed log archive with `/bin/tar`. Every argument is a fixed name chosen by
/// the wrapper and relative to the work directory, passed without a shell and after `--`, so job,
/// task or workflow names can neither inject commands nor options.
enum LogArchiver {
    /// The tar program.
    static let tarPath = "/bin/tar"

    /// Runs `tar -czf <archiveName> -C <folder> -- <members>` in `directory`.
    static func create(archiveName: String, in directory: String, from folder: String, members: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tarPath)
        process.arguments = ["-czf", archiveName, "-C", folder, "--"] + members
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw WrapperError(type: "LogArchive",
                               details: "\(directory)/\(archiveName): \(tarPath) failed with status \(process.terminationStatus)")
        }
    }
}
