"""A torch.nn.Module handed over: exported to ONNX, it gives the eigenvalues the CLI gives on the
exported file, and PyTorch's own Hessian agrees with them."""
import copy
import hashlib
import warnings

import numpy as np
import pytest

import curvature
from conftest import REPOSITORY, cli_columns, run_cli, same

torch = pytest.importorskip("torch")


def tiny_network():
    """A smooth network on 1×8×8 images with 3 classes, fixed weights."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.Softplus(beta=4), torch.nn.Flatten(),
                               torch.nn.Linear(2 * 8 * 8, 3)).eval()


@pytest.fixture
def small_images():
    generator = np.random.default_rng(2)
    return generator.random((3, 1, 8, 8), dtype=np.float32), np.array([0, 1, 2])


def test_module_round_trip_gives_the_cli_eigenvalues_on_the_export(small_images, tmp_path):
    images, labels = small_images
    result = curvature.spectrum(tiny_network(), images, labels, k=4, work_dir=tmp_path)
    run_cli("spectrum", "--model", tmp_path / "model.onnx", "--data", tmp_path / "images.npy", "--labels", tmp_path / "labels.npy",
            "--k", 4, "--out", tmp_path / "cli.csv")
    assert same(result.eigenvalues, cli_columns(tmp_path / "cli.csv")["eigenvalue"])
    assert np.array_equal(np.load(tmp_path / "images.npy"), images)  # handed over as it was

    # PyTorch's own input Hessian of the loss, in float64: the same eigenvalues within float32's reach.
    network = copy.deepcopy(tiny_network()).double()
    for i in range(len(images)):
        x = torch.tensor(images[i], dtype=torch.float64).flatten()
        target = torch.tensor([labels[i]])
        hessian = torch.autograd.functional.hessian(
            lambda v: torch.nn.functional.cross_entropy(network(v.view(1, 1, 8, 8)), target), x)
        exact = np.sort(np.linalg.eigvalsh(hessian.numpy()))[::-1][:4]
        assert np.allclose(result.eigenvalues[i], exact, rtol=0, atol=1e-4 * abs(exact[0]) + result.residuals[i].max())


def test_clean_accuracy_is_torch_s(small_images):
    images, labels = small_images
    network = tiny_network()
    with torch.no_grad():
        expected = (network(torch.from_numpy(images)).argmax(1).numpy() == labels).mean()
    assert curvature.eval(network, images, labels).accuracy[0] == round(expected, 4)


def test_the_export_is_the_same_file_each_time(small_images, tmp_path):
    """What lets a resumed run with a module pass the CLI's model checksum."""
    images, labels = small_images
    digests = []
    for _ in range(2):
        curvature.trace(tiny_network(), images, labels, probes=2, work_dir=tmp_path)
        digests.append(hashlib.sha256((tmp_path / "model.onnx").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_training_mode_is_said(small_images):
    images, labels = small_images
    network = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 3))
    assert network.training
    with pytest.warns(curvature.CurvatureWarning, match="training mode; exported in eval mode"):
        curvature.eval(network, images, labels)
    assert network.training  # left as it was


def test_channels_last_images_for_a_module_are_refused_with_the_shape():
    images = np.zeros((2, 8, 8, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=r"inputs of shape \(1, 8, 8, 1\).*PyTorch modules take \(N, C, H, W\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's own tracer warnings
            curvature.trace(tiny_network(), images, np.array([0, 1]))


def test_inspect_a_module_needs_its_input_shape():
    inspection = curvature.inspect(tiny_network(), input_shape=(1, 8, 8))
    assert inspection.input_shape == (1, 8, 8) and inspection.classes == 3 and not inspection.piecewise_linear
    with pytest.raises(ValueError, match="input_shape"):
        curvature.inspect(tiny_network())


def test_tensors_are_taken_as_their_arrays(small_images):
    images, labels = small_images
    from_arrays = curvature.trace(tiny_network(), images, labels, probes=2)
    from_tensors = curvature.trace(tiny_network(), torch.from_numpy(images), torch.from_numpy(labels), probes=2)
    assert np.array_equal(from_arrays.trace, from_tensors.trace)


def test_a_pytorch_state_dict_takes_its_architecture(small_images):
    """A safetensors file written by PyTorch carries no architecture: arch= is the CLI's --arch."""
    fixtures = REPOSITORY / "Tests" / "NNTests" / "Fixtures"
    images, labels = small_images
    with pytest.raises(curvature.CurvatureError, match="no architecture in the metadata; pass --arch FILE.json"):
        curvature.trace(fixtures / "torch_model.safetensors", images, labels, probes=2)
    result = curvature.spectrum(fixtures / "torch_model.safetensors", images, labels, k=2, arch=fixtures / "torch_model.json")
    assert result.eigenvalues.shape == (3, 2)
