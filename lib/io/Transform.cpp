#include "lib/io/Transform.h"

#include <itkCompositeTransform.h>
#include <itkMatrixOffsetTransformBase.h>
#include <itkTransformFileReader.h>
#include <itkTransformFileWriter.h>
#include <itkAffineTransform.h>
#include <itkMatlabTransformIOFactory.h>
#include <itkTxtTransformIOFactory.h>
#include <itkTransformFactory.h>
#include <itkTransformFactoryBase.h>

#include <mutex>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"

namespace mst::io {

Vec3 AffineTransform::apply(const Vec3& p) const {
  Vec3 q;
  for (int r = 0; r < 3; ++r)
    q[r] = matrix[3 * r] * p[0] + matrix[3 * r + 1] * p[1] + matrix[3 * r + 2] * p[2] + offset[r];
  return q;
}

AffineTransform AffineTransform::then(const AffineTransform& next) const {
  AffineTransform out;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += next.matrix[3 * r + k] * matrix[3 * k + c];
      out.matrix[3 * r + c] = s;
    }
    out.offset[r] = next.matrix[3 * r] * offset[0] + next.matrix[3 * r + 1] * offset[1] +
                    next.matrix[3 * r + 2] * offset[2] + next.offset[r];
  }
  out.kind = kind == "identity" ? next.kind : kind + "+" + next.kind;
  return out;
}

namespace {
void registerFactories() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::TxtTransformIOFactory::RegisterOneFactory();
    itk::MatlabTransformIOFactory::RegisterOneFactory();
    itk::TransformFactoryBase::RegisterDefaultTransforms();
    // Written by some tools (e.g. the Ljubljana longitudinal database) but not a default.
    itk::TransformFactory<itk::MatrixOffsetTransformBase<double, 3, 3>>::RegisterTransform();
  });
}

using Base = itk::TransformBaseTemplate<double>;
using Linear = itk::MatrixOffsetTransformBase<double, 3, 3>;
using Composite = itk::CompositeTransform<double, 3>;

AffineTransform fromItk(const Base* t, const std::filesystem::path& path) {
  if (const auto* lin = dynamic_cast<const Linear*>(t)) {
    AffineTransform a;
    const auto& m = lin->GetMatrix();
    const auto& o = lin->GetOffset();
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) a.matrix[3 * r + c] = m(r, c);
      a.offset[r] = o[r];
    }
    a.kind = t->GetNameOfClass();
    return a;
  }
  if (const auto* comp = dynamic_cast<const Composite*>(t)) {
    // ITK applies a composite's queue from the back: p -> T0(T1(...T_{n-1}(p))).
    AffineTransform a;
    const auto n = comp->GetNumberOfTransforms();
    for (auto i = n; i-- > 0;) a = a.then(fromItk(comp->GetNthTransformConstPointer(i), path));
    return a;
  }
  throw InputError("'" + path.string() + "': transform type '" + t->GetNameOfClass() +
                   "' is not supported (expected an affine/rigid ITK transform)");
}
}  // namespace

AffineTransform readTransform(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError("'" + path.string() + "': transform file not found");
  registerFactories();
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(path.string());
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    std::string d = e.GetDescription();
    while (!d.empty() && (d.back() == '\n' || d.back() == ' ')) d.pop_back();
    throw InputError("'" + path.string() + "': cannot read ITK transform: " + d);
  } catch (const std::exception&) {  // ITK's parser throws std::out_of_range on a type name without precision
    throw InputError("'" + path.string() + "': cannot read ITK transform: unknown or malformed transform type "
                     "(expected e.g. 'Transform: AffineTransform_double_3_3', or a rigid, Euler, versor or "
                     "similarity transform)");
  }
  const auto* list = reader->GetTransformList();
  if (!list || list->empty()) throw InputError("'" + path.string() + "': no transform in file");
  if (list->size() != 1)
    throw InputError("'" + path.string() + "': expected 1 transform, found " + std::to_string(list->size()));
  return fromItk(list->front().GetPointer(), path);
}

void writeTransform(const std::filesystem::path& path, const AffineTransform& t) {
  auto tr = itk::AffineTransform<double, 3>::New();
  itk::AffineTransform<double, 3>::MatrixType m;
  itk::AffineTransform<double, 3>::OutputVectorType o;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) m(r, c) = t.matrix[3 * r + c];
    o[r] = t.offset[r];
  }
  tr->SetMatrix(m);
  tr->SetOffset(o);
  registerFactories();
  AtomicOutput out(path);
  auto writer = itk::TransformFileWriterTemplate<double>::New();
  writer->SetFileName(out.tempPath().string());
  writer->SetInput(tr);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error("'" + path.string() + "': cannot write transform: " + std::string(e.GetDescription()));
  }
  out.commit();
}

}  // namespace mst::io
