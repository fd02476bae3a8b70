"""What the training-step benchmarks (`*_train_step.py`) share: each case measured in a fresh subprocess with one
OpenMP thread, and the rows written to one JSON file with the machine they ran on, under $OUT when it is set (the GPU
machine's folder that comes back) or benchmarks/results/."""
import json, os, platform, subprocess, sys, time
from pathlib import Path


def one_thread_case(script: str, *args: str) -> dict | None:
    "`python script --case *args` with OMP_NUM_THREADS=1: the JSON row its last line prints, or None (said why)."
    r = subprocess.run([sys.executable, script, "--case", *args], capture_output=True, text=True,
                       env=os.environ | {"OMP_NUM_THREADS": "1"})
    if r.returncode:
        print(r.stderr[-3000:], f"case {' '.join(args)} failed", file=sys.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def write_results(stem: str, rows: list, device: str) -> Path:
    "Write `rows` with the machine (platform, torch, cores, load, date, GPU) to `<stem>[_cuda].json`; its path."
    import torch
    from paper_kit.kit.registry import machine_info
    machine = dict(platform=platform.platform(), cpu=machine_info().get("cpu"), torch=torch.__version__,
                   cpu_count=os.cpu_count(), load_average=os.getloadavg(), date=time.strftime("%Y-%m-%d %H:%M:%S"),
                   gpu=torch.cuda.get_device_name() if device.startswith("cuda") else None)
    out = Path(os.environ.get("OUT", Path(__file__).parent/"results"))
    out = out/f"{stem}{'' if device == 'cpu' else '_cuda'}.json"
    out.write_text(json.dumps(dict(machine=machine, results=rows), indent=1) + "\n")
    print("wrote", out, "| load average", machine["load_average"])
    return out
