import Foundation
import Glibc
import Commands
import WorkerRuntime

// wm-cmsrun --config step.json --report cmsrun-report.xml: the cmsRun stand-in.
let usage = """
    usage: wm-cmsrun --config <step.json> --report <report.xml>
      Runs the step configuration in the current directory and writes a CMSSW framework job report.
      Exit status: 0, or the failure code modulo 256 (never 0); the full code is in the report.
    """
let options: [String: String]
do { options = try RuntimeCommandLine.parse(Array(CommandLine.arguments.dropFirst()), names: ["config", "report"], usage: usage) }
catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) }
let directory = FileManager.default.currentDirectoryPath
exit(CmsRunStandIn(configPath: options["config"]!, reportPath: options["report"]!, directory: directory).run())
