"The FAIR-Play loader on fixtures written in the real layout, and its errors on bad input."
import h5py, numpy as np, pytest, soundfile as sf, torch
from paper_kit.visual_sound.data import FairPlay, AudioVisualDataset, write_fairplay_fixture, split_file
from paper_kit.audio.spatial import AudioFormatError

@pytest.fixture
def fp(tmp_path):
    return write_fairplay_fixture(tmp_path/"FAIR-Play", n_clips=4, seconds=2.0)

def test_foreign_absolute_paths_are_remapped(fp):
    with h5py.File(split_file(fp, 1, "train")) as f:
        raw = [p.decode() for p in f["audio"][:]]
    assert all(p.startswith("/private/home/") for p in raw), raw
    ds = FairPlay(fp, 1, "train")
    assert [c.wav for c in ds] == [fp/"binaural_audios"/p.rsplit("/", 1)[1] for p in raw]
    assert all(c.frames_dir == fp/"frames"/f"{c.id}.mp4" and c.n_frames == 20 for c in ds)

def test_training_sample_matches_the_official_pipeline(fp):
    item = AudioVisualDataset(fp, 1, "train", resize=(30, 60), crop=(24, 48))[0]
    assert item["frame"].shape == (3, 24, 48)
    assert item["audio_mix_spec"].shape == item["audio_diff_spec"].shape == (2, 257, 64)
    assert item["audio_mix"].shape == (10080,)
    # the window is RMS-normalised to 0.1 before L+R and L-R are formed: rms(L)^2 + rms(R)^2 = 2 * 0.1^2
    mix = item["audio_mix"].double()
    from paper_kit.visual_sound.data import istft
    diff = istft(item["audio_diff_spec"].double(), 10080)
    L, R = (mix + diff) / 2, (mix - diff) / 2
    assert abs(float(torch.sqrt((L.pow(2).mean() + R.pow(2).mean()) / 2)) - 0.1) < 1e-3

def _first_train_wav(fp):
    return FairPlay(fp, 1, "train")[0].wav

@pytest.mark.parametrize("bad,expect", [
    ("corrupt", "corrupt"), ("mono", "channel"), ("rate", "16000"), ("empty", "empty")])
def test_bad_wavs_name_the_file(fp, bad, expect):
    wav = _first_train_wav(fp)
    if bad == "corrupt": wav.write_bytes(b"RIFF\x00\x00garbage" * 10)
    elif bad == "mono": sf.write(wav, np.zeros(32000, np.float32), 16000)
    elif bad == "rate": sf.write(wav, np.zeros((88200, 2), np.float32), 44100)
    elif bad == "empty": sf.write(wav, np.zeros((0, 2), np.float32), 16000)
    with pytest.raises((AudioFormatError, ValueError)) as e:
        AudioVisualDataset(fp, 1, "train", resize=(30, 60), crop=(24, 48))[0]
    msg = str(e.value)
    assert str(wav) in msg and expect in msg.lower(), msg

def test_missing_frames_folder_names_it(fp):
    clip = FairPlay(fp, 1, "test")[0]
    import shutil; shutil.rmtree(clip.frames_dir)
    with pytest.raises(FileNotFoundError) as e: FairPlay(fp, 1, "test")
    assert str(clip.frames_dir) in str(e.value)

def test_split_naming_a_missing_file(fp):
    wav = FairPlay(fp, 1, "val")[0].wav
    wav.unlink()
    with pytest.raises(FileNotFoundError) as e: FairPlay(fp, 1, "val")
    assert str(wav) in str(e.value)

def test_split_file_without_audio_dataset(fp):
    p = split_file(fp, 1, "val")
    with h5py.File(p, "w") as f: f["paths"] = np.array([b"x.wav"])
    with pytest.raises((KeyError, ValueError)) as e: FairPlay(fp, 1, "val")
    assert str(p) in str(e.value) and "audio" in str(e.value)

def test_missing_split_file(fp):
    with pytest.raises(FileNotFoundError) as e: FairPlay(fp, 7, "train")
    assert "split7" in str(e.value)


def test_zero_epochs_leave_the_network_untrained(fp):
    "The audit's `epochs=0`: no optimisation step, the initial weights kept, one validation recorded."
    from paper_kit.visual_sound.model import Mono2Binaural
    from paper_kit.visual_sound.train import TrainConfig, train_mono2binaural
    kw = dict(resize=(36, 72), crop=(32, 64), seed=0)
    tr = AudioVisualDataset(FairPlay(fp, 1, "train"), **kw)
    va = AudioVisualDataset(FairPlay(fp, 1, "val"), **kw)
    torch.manual_seed(0)
    model = Mono2Binaural(frame_size=(32, 64), width=4, ngf=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = train_mono2binaural(model, tr, va, TrainConfig(batch_size=2, epochs=0, val_batches=1))
    assert res["iterations"] == 0 and res["history"]["train"] == [] and len(res["history"]["val"]) == 1
    assert all(torch.equal(before[k], v) for k, v in res["best_state"].items())
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=-1)
