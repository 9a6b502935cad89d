"""Train the 60 Minute Blitz's CIFAR-10 classifier: the original program, fixed.

The complete program of the chapter "Training a classifier on the CPU" of
*Learn PyTorch in One Hour*, in plain PyTorch and torchvision (no book
package). On its first run torchvision downloads CIFAR-10 (about 170 MB)
into ./data.

    python cifar10_classifier.py                              # the original recipe: 2 epochs
    python cifar10_classifier.py --epochs 1 --max-batches 500  # a quick try

What differs from the original (the book's errata list each fix):

- ``criterion`` and ``optimizer`` are created once, before the loop: created
  inside it, as in the original, SGD's momentum is thrown away at every step;
- ``next(dataiter)`` instead of ``dataiter.next()``, which no longer exists;
- ``torch.flatten(x, 1)`` instead of ``x.view(-1, 16 * 5 * 5)``, and
  ``outputs.argmax(1)`` instead of ``torch.max(outputs.data, 1)``;
- ``num_workers=0``: on a machine with few cores, worker processes compete
  with training for them (the book measures it on two cores);
- ``net.eval()`` before testing, and the per-class count loops over each
  batch instead of ``range(4)``;
- the trained weights are saved as a ``state_dict`` and loaded back with
  ``weights_only=True``;
- no pictures (the original's ``imshow``): a script prints its results.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms

CLASSES = ('plane', 'car', 'bird', 'cat',
           'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


class Net(nn.Module):
    """The original's network: LeNet for 3-channel 32x32 images."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)  # a 2x2 window (2 means (2, 2)), stride 2
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # (B, 3, 32, 32) -> (B, 6, 14, 14)
        x = self.pool(F.relu(self.conv2(x)))  # (B, 6, 14, 14) -> (B, 16, 5, 5)
        x = torch.flatten(x, 1)               # (B, 16, 5, 5) -> (B, 400)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)                    # (B, 10): one score per class


def make_loaders(data_root, batch_size=4):
    """The training and test loaders of the original, with num_workers=0."""
    transform = transforms.Compose(
        [transforms.ToTensor(),
         transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset = torchvision.datasets.CIFAR10(root=data_root, train=True,
                                            download=True, transform=transform)
    testset = torchvision.datasets.CIFAR10(root=data_root, train=False,
                                           download=True, transform=transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size,
                                              shuffle=True, num_workers=0)
    testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size,
                                             shuffle=False, num_workers=0)
    return trainloader, testloader


def train(net, trainloader, epochs, max_batches=None):
    """The original training loop, with the optimizer created once."""
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    net.train()
    for epoch in range(epochs):  # loop over the dataset multiple times
        running_loss = 0.0
        for i, (inputs, labels) in enumerate(trainloader):
            if max_batches is not None and i == max_batches:
                break
            optimizer.zero_grad()  # zero the parameter gradients

            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            running_loss += loss.item()
            if i % 2000 == 1999:  # print every 2000 mini-batches
                print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 2000:.3f}')
                running_loss = 0.0
    print('Finished Training')


def show_predictions(net, testloader):
    """Ground truth and prediction for the first test batch."""
    images, labels = next(iter(testloader))
    net.eval()
    with torch.no_grad():
        predicted = net(images).argmax(1)
    print('GroundTruth: ', ' '.join(f'{CLASSES[j]:5s}' for j in labels))
    print('Predicted:   ', ' '.join(f'{CLASSES[j]:5s}' for j in predicted))


def test(net, testloader):
    """Print the accuracy on every test image, overall and per class; return the overall one."""
    class_correct = [0] * 10
    class_total = [0] * 10
    net.eval()
    with torch.no_grad():
        for images, labels in testloader:
            predicted = net(images).argmax(1)
            for label, guess in zip(labels, predicted):
                class_correct[label] += int(label == guess)
                class_total[label] += 1
    total = sum(class_total)
    accuracy = 100 * sum(class_correct) / total
    print(f'Accuracy of the network on the {total} test images: {accuracy:.1f} %')
    for i in range(10):
        if class_total[i]:
            print(f'Accuracy of {CLASSES[i]:5s} : {100 * class_correct[i] / class_total[i]:4.1f} %')
    return accuracy


def main(epochs=2, data_root='./data', max_batches=None, weights='cifar_net.pth'):
    """Train, save the weights, load them into a new network, test it; return its accuracy."""
    if epochs < 1 or (max_batches is not None and max_batches < 1):
        raise ValueError(f'need epochs >= 1 and max_batches >= 1 (or None), got {epochs} and {max_batches}')
    torch.manual_seed(0)
    trainloader, testloader = make_loaders(data_root)
    net = Net()
    train(net, trainloader, epochs, max_batches)

    torch.save(net.state_dict(), weights)
    net = Net()  # a fresh network, then the saved weights
    net.load_state_dict(torch.load(weights, weights_only=True))
    print(f'Saved and reloaded the weights: {weights}')

    show_predictions(net, testloader)
    return test(net, testloader)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=2, help='passes over the training set (default 2)')
    parser.add_argument('--data-root', default='./data', help='where CIFAR-10 is, or is downloaded to')
    parser.add_argument('--max-batches', type=int, default=None,
                        help='stop each epoch after this many batches (a quick try)')
    parser.add_argument('--weights', default='cifar_net.pth', help='file for the trained weights')
    return parser.parse_args(argv)


if __name__ == '__main__':
    args = parse_args()
    main(args.epochs, args.data_root, args.max_batches, args.weights)
