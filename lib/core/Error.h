// Project error types.
//
// mst::Error is any failure; mst::InputError is a failure caused by bad input
// (a manifest, an experiment file, a NIfTI file, a command-line value). The CLI
// maps InputError to exit code 2 and any other error to exit code 1.
// An InputError may carry several problems so that whole files are checked
// before any work and every problem is reported at once.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace mst {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InputError : public Error {
 public:
  explicit InputError(const std::string& message)
      : Error(message), problems_{message} {}
  // Several problems at once; what() joins them with newlines.
  explicit InputError(std::vector<std::string> problems);

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Collects problems while a whole input is checked; throws once at the end.
class ProblemList {
 public:
  void add(std::string problem) { problems_.push_back(std::move(problem)); }
  void note(std::string text) { notes_.push_back(std::move(text)); }
  bool empty() const { return problems_.empty(); }
  const std::vector<std::string>& problems() const { return problems_; }
  const std::vector<std::string>& notes() const { return notes_; }
  // Throws InputError with every problem collected so far, if any.
  void throwIfAny() const;

 private:
  std::vector<std::string> problems_;
  std::vector<std::string> notes_;
};

}  // namespace mst
