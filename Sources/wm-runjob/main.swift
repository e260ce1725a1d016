import Foundation
import Glibc
import Commands
import WorkerRuntime

// wm-runjob --job <workdir>/job.json: runs one job attempt and leaves <workdir>/Report.<retry>.xml.
let usage = """
    usage: wm-runjob --job <workdir>/job.json
      Runs the job's cmsRun step (wm-cmsrun, or $WM_CMSRUN) in <workdir>/scratch under the limits of
      <workdir>/runtime.json, stages out its outputs and logs, and writes <workdir>/Report.<retry>.xml.
      Exit status: the job's exit code (0 on success; codes above 255 modulo 256, never 0 — the full
      code is in the report).
    """
let options: [String: String]
do { options = try RuntimeCommandLine.parse(Array(CommandLine.arguments.dropFirst()), names: ["job"], usage: usage) }
catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) }
let cmsRun = ProcessInfo.processInfo.environment["WM_CMSRUN"] ?? RuntimeCommandLine.sibling("wm-cmsrun")
let outcome = JobWrapper(jobPath: options["job"]!, cmsRunExecutable: cmsRun).run()
if outcome.exitCode != 0 {
    let first = outcome.report.errors.first.map { "\($0.type): \($0.details)" } ?? ""
    FileHandle.standardError.write(Data("wm-runjob: job failed with exit code \(outcome.exitCode): \(first)\n".utf8))
}
exit(RuntimeExitCodes.processStatus(for: outcome.exitCode))
